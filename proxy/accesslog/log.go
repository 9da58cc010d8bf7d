package accesslog

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/premier-gateway/premier/internal/mpsc"
)

// Options configure a Log.
type Options struct {
	// Path is "stdout", "stderr" or a file (created, appended to).
	Path string
	// Format is FormatJSON, FormatCombined or a template of {variables}
	// (Variables).
	Format string
	// Buffer is how many records wait for the writer at most (rounded up
	// to a power of two).
	Buffer int
	// Secrets are query parameter names whose values are never written.
	Secrets []string
	// Log receives the writer's own failures (a file that cannot be
	// reopened or written), at most one line per failure streak.
	Log *slog.Logger
}

// Log is one access log: the ring the request path fills and the writer
// goroutine that drains it.
type Log struct {
	opts    Options
	ring    *mpsc.Ring[Record]
	format  *formatter
	dropped atomic.Uint64

	sleeping atomic.Bool   // the writer waits on wake
	wake     chan struct{} // capacity 1
	reopen   atomic.Bool
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once

	// sink is swapped by the writer alone (reopen); Close reads it to set
	// a deadline while the writer may be stuck in a write.
	sink atomic.Pointer[os.File]
	own  bool // the sink is a file this Log opened (not stdout/stderr)
}

// Open opens the sink and starts the writer.
func Open(o Options) (*Log, error) {
	if o.Buffer < 1 {
		return nil, errors.New("access log buffer: must be at least 1 record")
	}
	f, err := newFormatter(o.Format, o.Secrets)
	if err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	l := &Log{opts: o, ring: mpsc.New[Record](o.Buffer), format: f, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	sink, own, err := openSink(o.Path)
	if err != nil {
		return nil, err
	}
	l.sink.Store(sink)
	l.own = own
	go l.run()
	return l, nil
}

func openSink(path string) (*os.File, bool, error) {
	switch path {
	case "stdout":
		return os.Stdout, false, nil
	case "stderr":
		return os.Stderr, false, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, false, fmt.Errorf("access log: %w", err)
	}
	return f, true, nil
}

// Path is where the lines go.
func (l *Log) Path() string { return l.opts.Path }

// Begin claims a record to fill, or returns nil (the record is dropped and
// counted) when the writer is that far behind. It never waits.
func (l *Log) Begin() *Record {
	r, pos := l.ring.Claim()
	if r == nil {
		l.dropped.Add(1)
		return nil
	}
	r.pos = pos
	r.reset()
	return r
}

// Commit hands a record Begin returned to the writer.
func (l *Log) Commit(r *Record) {
	if l.ring.Publish(r.pos) || l.sleeping.Load() {
		l.signal()
	}
}

func (l *Log) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Dropped is how many records were dropped: the ring was full, or the
// sink failed to take them.
func (l *Log) Dropped() uint64 { return l.dropped.Load() }

// Reopen makes the writer close and reopen a file sink (logrotate moved
// it: the next lines go to a new file of the same name). Stdout and
// stderr are left as they are.
func (l *Log) Reopen() {
	l.reopen.Store(true)
	l.signal()
}

// closeWait bounds Close when the sink does not take the last lines (a
// pipe nobody reads): the writer is given up on after it.
const closeWait = 2 * time.Second

// Close writes what the ring holds, stops the writer and closes a file
// sink. A sink that blocks is given closeWait.
func (l *Log) Close() {
	l.once.Do(func() {
		close(l.stop)
		if l.own { // never on stdout or stderr: a deadline there would outlive this Log
			_ = l.sink.Load().SetWriteDeadline(time.Now().Add(closeWait)) // unblocks a stuck pipe, where supported
		}
		select {
		case <-l.done:
		case <-time.After(closeWait + time.Second):
			return // the writer is stuck in a write the deadline cannot end: leave it
		}
		if l.own {
			_ = l.sink.Load().Close()
		}
	})
}

// The writer batches: while records keep coming it drains the ring every
// drainEvery, or as soon as a quarter of the ring filled (the request that
// fills it wakes the writer), and writes when its buffer holds flushBytes
// or its oldest line waited flushAfter, so a busy log costs one write per
// batch, not one per line, and no wake-up per request. Idle, it parks
// until the next record. Larger batches cost less CPU per line: a file's
// write has a cost per call besides its bytes (the file system updates
// the file's times and its journal each time), and each drain its own
// (bench/RESULTS.md); the quarter-ring wake keeps a busy log from filling
// the ring between two drains at any request rate.
const (
	drainEvery = 80 * time.Millisecond
	flushAfter = 100 * time.Millisecond
	flushBytes = 1 << 20
)

// run is the writer goroutine.
func (l *Log) run() {
	defer close(l.done)
	buf := make([]byte, 0, flushBytes+8<<10)
	var pending time.Time // when the oldest line in buf was formatted
	failing := false
	flush := func() {
		if len(buf) == 0 {
			return
		}
		_, err := l.sink.Load().Write(buf)
		if err != nil {
			l.dropped.Add(uint64(countLines(buf)))
			if !failing {
				l.opts.Log.Error("access log write failed; lines are dropped until it succeeds",
					slog.String("path", l.opts.Path), slog.String("error", err.Error()))
			}
		}
		failing = err != nil
		buf = buf[:0]
	}
	drain := func() {
		for r := l.ring.Peek(); r != nil; r = l.ring.Peek() {
			if len(buf) == 0 {
				pending = time.Now()
			}
			buf = l.format.appendLine(buf, r)
			l.ring.Release()
			if len(buf) >= flushBytes {
				flush()
			}
		}
	}
	tick := time.NewTimer(drainEvery)
	defer tick.Stop()
	for {
		drain()
		if len(buf) > 0 && time.Since(pending) >= flushAfter {
			flush()
		}
		if l.reopen.Swap(false) {
			flush() // the lines so far belong to the old file
			l.reopenSink()
		}
		select {
		case <-l.stop:
			drain() // what was committed before Close
			flush()
			return
		default:
		}
		if len(buf) > 0 { // more may come: drain again soon, flush when due
			tick.Reset(drainEvery)
			select {
			case <-tick.C:
			case <-l.wake: // a reopen, or a quarter of the ring filled
			case <-l.stop:
			}
			continue
		}
		l.sleeping.Store(true)
		if l.ring.Peek() != nil || l.reopen.Load() {
			l.sleeping.Store(false)
			continue
		}
		select {
		case <-l.wake:
		case <-l.stop:
		}
		l.sleeping.Store(false)
	}
}

// reopenSink replaces a file sink with a fresh open of its path.
func (l *Log) reopenSink() {
	if !l.own {
		return
	}
	f, _, err := openSink(l.opts.Path)
	if err != nil {
		l.opts.Log.Error("access log reopen failed; writing on to the old file",
			slog.String("path", l.opts.Path), slog.String("error", err.Error()))
		return
	}
	_ = l.sink.Swap(f).Close()
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}
