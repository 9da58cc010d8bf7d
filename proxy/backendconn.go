package proxy

import (
	"bufio"
	"net"
	"syscall"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/watchdog"
)

// backendConn is a watched plain-TCP backend connection that sends a
// request and then waits for the answer without first trying a read.
//
// A Go read tries the read system call and parks only when it finds
// nothing (EAGAIN). Right after a request is written the backend cannot
// have answered yet, so that first read is a wasted system call on every
// request. writeAndAwait instead writes the request inside the socket's
// raw read callback: Go clears the socket's readiness before the first
// callback, so any byte the backend sends after the request (the only
// time it can) wakes the wait, and the response is then read normally.
type backendConn struct {
	*watchdog.Conn
	raw  syscall.RawConn
	step func(uintptr) bool // sendStep, bound once per connection

	req  *fasthttp.Request
	bw   *bufio.Writer
	sent bool
	err  error
}

// newBackendConn wraps a watched connection; one that is not a raw socket
// (in-memory test connections) stays as it is.
func newBackendConn(c *watchdog.Conn) net.Conn {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return c
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	bc := &backendConn{Conn: c, raw: raw}
	bc.step = bc.sendStep
	return bc
}

// writeAndAwait writes req through bw (which writes to c) and waits until
// the backend has sent something, closed, or the read deadline passed.
// writeErr is the request's write error; waitErr the wait's.
func (c *backendConn) writeAndAwait(req *fasthttp.Request, bw *bufio.Writer) (writeErr, waitErr error) {
	c.req, c.bw, c.sent, c.err = req, bw, false, nil
	waitErr = c.raw.Read(c.step)
	writeErr = c.err
	c.req, c.bw = nil, nil
	return writeErr, waitErr
}

// sendStep is the raw read callback: the first call writes the request and
// asks to wait (false); the next, after the socket became readable, ends
// the wait without reading.
func (c *backendConn) sendStep(uintptr) bool {
	if c.sent {
		return true
	}
	c.sent = true
	if c.err = c.req.Write(c.bw); c.err == nil {
		c.err = c.bw.Flush()
	}
	return c.err != nil
}
