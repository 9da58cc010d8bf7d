package compress

import (
	"io"
	"sync"

	"github.com/valyala/fasthttp"
)

// Keeper is a body stream that can be taken out of a response without
// being closed: fasthttp closes the stream a response drops, and the
// gateway's backend streams would then give their connection back. The
// next Close after KeepOpen does nothing; the wrapper closes it later.
type Keeper interface {
	io.Reader
	KeepOpen()
}

// Stream replaces resp's body stream with its encoding in coding c, read
// and encoded as the server writes it (chunked: the encoded size is not
// known). Each read of the source is encoded and flushed at once, so a
// stream of events reaches the client as it arrives, and at most one read
// (32 KiB) and the encoder's window are held whatever the body's size. It
// reports false, changing nothing, for a stream it cannot take out of the
// response (not a Keeper: an app's own stream).
func (p *Policy) Stream(resp *fasthttp.Response, c Coding) bool {
	src, ok := resp.BodyStream().(Keeper)
	if !ok {
		return false
	}
	s := streamPool.Get().(*stream)
	s.src, s.e, s.done, s.off = src, p.enc[c], false, 0
	s.w = s.e.get()
	s.w.out.b = s.out[:0]
	src.KeepOpen()
	resp.SetBodyStream(s, -1)
	Mark(&resp.Header, c)
	return true
}

const streamRead = 32 << 10

// stream is the encoding of a source stream.
type stream struct {
	src  Keeper
	e    *encoders
	w    *worker
	in   [streamRead]byte
	out  []byte // the worker's buffer between streams
	off  int    // read offset in w.out.b
	done bool
	err  error
}

var streamPool = sync.Pool{New: func() any { return &stream{out: make([]byte, 0, streamRead)} }}

// Read returns encoded bytes, reading and encoding the source as needed.
func (s *stream) Read(p []byte) (int, error) {
	for s.off == len(s.w.out.b) {
		if s.done {
			return 0, io.EOF
		}
		if s.err != nil {
			return 0, s.err
		}
		s.w.out.b, s.off = s.w.out.b[:0], 0
		n, err := s.src.Read(s.in[:])
		if n > 0 {
			if _, werr := s.w.enc.Write(s.in[:n]); werr != nil {
				s.err = werr
				return 0, werr
			}
		}
		switch {
		case err == io.EOF:
			if cerr := s.w.enc.Close(); cerr != nil {
				s.err = cerr
				return 0, cerr
			}
			s.done = true
		case err != nil:
			s.err = err // the source failed: the client sees the body cut short
		case n > 0:
			if ferr := s.w.enc.Flush(); ferr != nil {
				s.err = ferr
				return 0, ferr
			}
		}
	}
	n := copy(p, s.w.out.b[s.off:])
	s.off += n
	return n, nil
}

// CloseWithError closes the source (with the writer's error, when it is a
// fasthttp.ReadCloserWithError) and gives the encoder and the stream back
// to their pools. fasthttp calls it once the body is written or dropped.
func (s *stream) CloseWithError(err error) error {
	var cerr error
	if c, ok := s.src.(io.Closer); ok {
		cerr = c.Close()
	}
	if c, ok := s.src.(fasthttp.ReadCloserWithError); ok {
		if e := c.CloseWithError(err); cerr == nil {
			cerr = e
		}
	}
	s.out = s.w.out.b[:0]
	if cap(s.out) > 4*streamRead {
		s.out = make([]byte, 0, streamRead) // one burst of output does not stay pooled
	}
	s.e.put(s.w)
	s.src, s.e, s.w, s.err = nil, nil, nil, nil
	streamPool.Put(s)
	return cerr
}
