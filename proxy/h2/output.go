package h2

import (
	"runtime"
	"sync"
	"time"
)

// output is what the connection has framed and not yet written: every
// stream's frames go into one buffer (under the connection's mutex), and
// one goroutine per connection (flushLoop) writes it to the client. A
// write is one TLS record and one system call for whatever the streams
// made ready in the meantime, so under load the answers of many streams
// share a write where x/net's server flushed each on its own.
//
// The buffers come from a pool and go back to it after each write, so a
// connection with nothing to send holds none.
type output struct{ buf []byte }

func (o *output) Write(p []byte) (int, error) {
	o.grab()
	o.buf = append(o.buf, p...)
	return len(p), nil
}

// grab takes a pooled buffer if o has none.
func (o *output) grab() {
	if o.buf == nil {
		o.buf = (*outBufs.Get().(*[]byte))[:0]
	}
}

// dataFrame frames p as a DATA frame of stream id (RFC 9113 §6.1),
// straight into the buffer: no copy through the framer's own.
func (o *output) dataFrame(id uint32, end bool, p []byte) {
	o.grab()
	var flags byte
	if end {
		flags = 0x1 // END_STREAM
	}
	n := len(p)
	o.buf = append(o.buf, byte(n>>16), byte(n>>8), byte(n), 0x0, flags,
		byte(id>>24)&0x7f, byte(id>>16), byte(id>>8), byte(id))
	o.buf = append(o.buf, p...)
}

var outBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// release returns b to the pool unless it grew past keepBuf.
func release(b []byte) {
	if cap(b) <= keepBuf {
		b = b[:0]
		outBufs.Put(&b)
	}
}

// maxPending bounds the framed bytes waiting for the client: a stream
// (or the reader's control frames) that would pass it waits until the
// flusher has written them, so a client that does not read holds at
// most this much per connection, and then stops being read.
const maxPending = 64 << 10

// keepBuf is the largest output buffer pooled between writes; a larger
// one (a burst of big bodies) goes back to the garbage collector.
const keepBuf = 64 << 10

// kick wakes the flusher. c.mu held.
func (c *conn) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// flushLoop writes the framed output to the client until the connection
// ends. Before taking the buffer it yields once, so that the streams
// whose answers are ready to be framed (their goroutines runnable) add
// them to this write rather than to one each. A failed write ends the
// connection. On quit it writes what is left (a final GOAWAY) within a
// short deadline, then returns.
func (c *conn) flushLoop() {
	defer close(c.flushed)
	for {
		quitting := false
		select {
		case <-c.wake:
		case <-c.quit:
			quitting = true
		}
		if !quitting {
			runtime.Gosched()
		}
		c.mu.Lock()
		b := c.out.buf
		c.out.buf = nil
		c.mu.Unlock()
		if len(b) > 0 {
			d := c.s.opts.WriteTimeout
			if quitting {
				d = finalFlush
			}
			_ = c.nc.SetWriteDeadline(time.Now().Add(d))
			if _, err := c.nc.Write(b); err != nil {
				c.mu.Lock()
				c.fail()
				c.mu.Unlock()
				_ = c.nc.Close() // the reader, which may wait for a client gone silent, ends too
				return
			}
		}
		if b != nil {
			release(b)
		}
		c.mu.Lock()
		c.cond.Broadcast() // whoever waits for room in the buffer
		closeNow := c.closeWhenFlush && len(c.out.buf) == 0
		c.mu.Unlock()
		if quitting {
			return
		}
		if closeNow {
			_ = c.nc.Close() // the reader sees it and ends the connection
		}
	}
}

// finalFlush bounds writing the last frames of a connection that ends.
const finalFlush = time.Second

// room waits until the output has room for more frames, or the
// connection failed. c.mu held; false if the connection is gone.
func (c *conn) room() bool {
	for len(c.out.buf) >= maxPending && !c.closed {
		c.cond.Wait()
	}
	return !c.closed
}
