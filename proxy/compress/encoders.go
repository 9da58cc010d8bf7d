package compress

import (
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	brotli "github.com/molecule-man/go-brrr"
)

// brotliWindow is the brotli window's base-2 logarithm.
const brotliWindow = 19

// encoder is one pooled encoder of a coding at a level, writing to the
// writer it was last reset to.
type encoder interface {
	io.Writer
	Flush() error
	Close() error
	Reset(w io.Writer)
}

// encoders pools the encoders of one coding at one level. Policies with
// the same coding and level share it: an encoder holds its window and
// tables (hundreds of KiB for zstd and brotli), so each is made once and
// reused by every request after it.
type encoders struct {
	coding Coding
	level  int
	pool   sync.Pool
	// zstd encodes a body held in memory in one call (EncodeAll), which
	// is safe for concurrent use: one encoder serves them all.
	whole *zstd.Encoder
}

var (
	encodersMu  sync.Mutex
	encodersSet = map[[2]int]*encoders{}
)

// encodersFor returns the shared pool of coding c at its level in l.
func encodersFor(c Coding, l Levels) *encoders {
	level := map[Coding]int{Zstd: l.Zstd, Br: l.Br, Gzip: l.Gzip}[c]
	encodersMu.Lock()
	defer encodersMu.Unlock()
	k := [2]int{int(c), level}
	if e := encodersSet[k]; e != nil {
		return e
	}
	e := &encoders{coding: c, level: level}
	if c == Zstd {
		// EncodeAll takes one of the encoder's states per call: one per
		// core so concurrent requests do not queue for one (EncodeAll runs
		// in the caller's goroutine whatever the concurrency).
		e.whole = newZstd(level, runtime.GOMAXPROCS(0))
	}
	encodersSet[k] = e
	return e
}

// newZstd makes a zstd encoder; a stream's (concurrency 1) compresses in
// the caller's goroutine. A 1 MiB window bounds its memory whatever the
// level.
func newZstd(level, concurrency int) *zstd.Encoder {
	z, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
		zstd.WithEncoderConcurrency(concurrency), zstd.WithWindowSize(1<<20), zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic("compress: zstd options: " + err.Error()) // fixed options: cannot fail
	}
	return z
}

// worker is a pooled encoder with the buffer it writes to: the encoder
// keeps a pointer to out, so neither is made again per request.
type worker struct {
	out sliceWriter
	enc encoder
}

// get returns a worker whose encoder starts a new stream into out.
func (e *encoders) get() *worker {
	if w, ok := e.pool.Get().(*worker); ok {
		w.enc.Reset(&w.out)
		return w
	}
	w := new(worker)
	switch e.coding {
	case Gzip:
		g, err := gzip.NewWriterLevel(&w.out, e.level)
		if err != nil {
			panic("compress: gzip level: " + err.Error()) // validated: cannot fail
		}
		w.enc = g
	case Br:
		// A 512 KiB window (nginx's brotli default) instead of 4 MiB: a
		// pooled writer holds its window and tables between requests.
		b, err := brotli.NewWriterOptions(&w.out, e.level, brotli.WriterOptions{LGWin: brotliWindow})
		if err != nil {
			panic("compress: brotli level: " + err.Error()) // validated: cannot fail
		}
		b.Reset(&w.out) // a reset writer keeps its compressor across Close
		w.enc = b
	default:
		z := newZstd(e.level, 1)
		z.Reset(&w.out)
		w.enc = z
	}
	return w
}

// put returns a worker, its stream closed, to the pool; out is dropped so
// the pool holds no response's bytes.
func (e *encoders) put(w *worker) {
	w.out.b = nil
	e.pool.Put(w)
}

// AppendEncoded appends src encoded in coding c to dst. It allocates
// nothing once dst has the room and the pool is warm.
func (p *Policy) AppendEncoded(dst, src []byte, c Coding) []byte {
	e := p.enc[c]
	if e.whole != nil {
		return e.whole.EncodeAll(src, dst)
	}
	w := e.get()
	w.out.b = dst
	if b, ok := w.enc.(*brotli.Writer); ok {
		b.ResetWithSizeHint(&w.out, uint(len(src))) // smaller tables for small bodies
	}
	_, _ = w.enc.Write(src) // writing to memory cannot fail
	_ = w.enc.Close()
	dst = w.out.b
	e.put(w)
	return dst
}

// sliceWriter appends to a byte slice.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
