package upstream

import (
	"bufio"
	"net"
	"syscall"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/sock"
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
	sock sock.Socket // its reads and writes (sock.RawIO)
	raw  syscall.RawConn
	step func(uintptr) bool // sendStep, bound once per connection
	look func(uintptr)      // peek, bound once per connection

	lastUse int64 // watchdog clock at the last idle check
	broken  bool
	peekBuf [1]byte

	req  *fasthttp.Request
	bw   *bufio.Writer
	sent bool
	err  error
}

// newBackendConn wraps a watched connection; one that is not a raw socket
// (in-memory test connections) stays as it is.
func newBackendConn(c *watchdog.Conn) net.Conn {
	raw := sock.RawConnOf(c)
	if raw == nil {
		return c
	}
	bc := &backendConn{Conn: c, raw: raw, lastUse: c.Watchdog().Now()}
	bc.step = bc.sendStep
	bc.look = bc.peek
	bc.sock.Init(raw, c)
	return bc
}

// Read implements net.Conn.
func (c *backendConn) Read(p []byte) (int, error) {
	if !sock.RawIO {
		return c.Conn.Read(p)
	}
	return c.sock.Read(p)
}

// Write implements net.Conn.
func (c *backendConn) Write(p []byte) (int, error) {
	if !sock.RawIO {
		return c.Conn.Write(p)
	}
	return c.sock.Write(p)
}

// idleConnBroken reports whether a pooled backend connection received
// something while it sat idle: bytes nobody asked for (a backend whose
// framing is off, which would hand them to the next request as its
// answer) or the backend's FIN or RST. Either way it must not carry
// another request. The check is a non-blocking peek (one system call), so
// it runs only on a connection idle across a watchdog tick: one reused
// within the same 25 ms — every connection of a busy pool — is not
// peeked, and a late byte then still ends it through the checks on the
// response. Connections that are not plain sockets (TLS) count as sound.
func idleConnBroken(c net.Conn) bool {
	bc, ok := c.(*backendConn)
	return ok && bc.idleBroken()
}

func (c *backendConn) idleBroken() bool {
	now := c.Watchdog().Now()
	if now == c.lastUse {
		return false
	}
	c.lastUse = now
	c.broken = false
	if c.raw.Control(c.look) != nil {
		return false
	}
	return c.broken
}

func (c *backendConn) peek(fd uintptr) { c.broken = sock.FDBroken(fd, c.peekBuf[:]) }

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
