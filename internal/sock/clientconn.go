package sock

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/premier-gateway/premier/internal/watchdog"
)

// ClientConn is a watched plain-TCP client connection that sends a
// finished response together with the wait for the client's next request,
// so that wait starts without first trying a read.
//
// After fasthttp writes a response it reads the next request at once, and
// a Go read first tries the read system call, which on a keep-alive
// connection finds nothing (EAGAIN) on almost every request: the client
// has not even received the answer yet. The handler marks a buffered
// response it has finished (Hold); ClientConn then keeps the one
// write fasthttp makes for it and does it inside the socket's raw read
// callback on the next Read, where Go has already cleared the socket's
// readiness: the next request, which can only come after the answer, wakes
// the wait, and is then read normally. Streamed responses, WebSocket
// relays and anything unmarked are written at once as usual; a held
// response is also written before any further write and on Close.
//
// Bytes the client sent before the wait began (a pipelining client, a
// half-close) raise no new readiness, so the wait is marked with the
// watchdog, which checks one still waiting after a whole tick (stallCheck):
// anything waiting is made to wake it, and the connection holds no more
// responses. Such a client loses 25–50 ms once; no wait sleeps until its
// deadline on bytes already there.
type ClientConn struct {
	*watchdog.Conn
	sock  Socket // its reads and writes
	raw   syscall.RawConn
	step  func(uintptr) bool // sendStep, bound once per connection
	check func(uintptr)      // stallCheck's socket step, bound once

	hold    atomic.Bool            // the next write ends a finished buffered response
	held    atomic.Pointer[[]byte] // a response waiting for the next Read (or Close)
	noHold  atomic.Bool            // the client sends ahead: hold nothing more
	peekBuf [1]byte

	out  *[]byte // the held response Read is sending
	sent bool
	err  error
}

// HeldMax is the largest write held back: one full response write buffer.
// The server's response write buffer is this size, so a finished response
// that fits the buffer leaves in the one write a ClientConn holds.
const HeldMax = 32 << 10

// heldPool's buffers start small and grow to the answers they hold, so a
// burst of small answers does not pin a full write buffer each.
var heldPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// NewClientConn wraps a watched connection; one that is not a raw socket
// (in-memory test connections) stays as it is.
func NewClientConn(c *watchdog.Conn) net.Conn {
	raw := RawConnOf(c)
	if raw == nil || !canWake || !RawIO {
		return c
	}
	cc := &ClientConn{Conn: c, raw: raw}
	cc.sock.Init(raw, c)
	cc.step = cc.sendStep
	cc.check = cc.wakeIfWaiting
	c.OnStall(cc.stallCheck)
	return cc
}

// Hold marks the response just finished on c as one c may hold until the
// wait for the next request. The caller has checked that it is a buffered
// body on a connection staying open; a connection NewClientConn did not
// wrap ignores the mark.
func Hold(c net.Conn) {
	if cc, ok := c.(*ClientConn); ok {
		cc.hold.Store(true)
	}
}

// Write implements net.Conn: it holds the marked response's write, and
// sends any held one before p.
func (c *ClientConn) Write(p []byte) (int, error) {
	if err := c.flushHeld(); err != nil {
		return 0, err
	}
	if c.hold.Load() {
		c.hold.Store(false)
		if len(p) <= HeldMax && !c.noHold.Load() {
			b := heldPool.Get().(*[]byte)
			*b = append((*b)[:0], p...)
			c.held.Store(b)
			return len(p), nil
		}
	}
	return c.sock.Write(p)
}

// Read implements net.Conn. With a held response it writes it inside the
// raw read wait, then reads what woke the wait.
func (c *ClientConn) Read(p []byte) (int, error) {
	if c.hold.Load() {
		c.hold.Store(false) // marked, but nothing was written
	}
	b := c.held.Swap(nil)
	if b == nil {
		return c.sock.Read(p)
	}
	if !c.BeginWait() { // no watchdog to catch a missed wake-up
		_, err := c.sock.Write(*b)
		heldPool.Put(b)
		if err != nil {
			return 0, err
		}
		return c.sock.Read(p)
	}
	c.out, c.sent, c.err = b, false, nil
	_ = c.raw.Read(c.step) // a deadline or close ends the wait; Read below reports it
	c.EndWait()
	c.out = nil
	heldPool.Put(b)
	if c.err != nil {
		return 0, c.err
	}
	return c.sock.Read(p)
}

// stallCheck runs on the watchdog for a wait marked over a tick ago.
func (c *ClientConn) stallCheck() { _ = c.raw.Control(c.check) }

// wakeIfWaiting: bytes (or the client's FIN) already waiting mean the wait
// missed them: the client sends ahead, so hold nothing more, and have the
// socket announce them again.
func (c *ClientConn) wakeIfWaiting(fd uintptr) {
	if FDBroken(fd, c.peekBuf[:]) {
		c.noHold.Store(true)
		wakeReader(fd)
	}
}

// sendStep is the raw read callback: the first call writes the held
// response and asks to wait (false); the next, after the socket became
// readable, ends the wait without reading. A response the socket does
// not take at once is finished by an ordinary write.
func (c *ClientConn) sendStep(fd uintptr) bool {
	if c.sent {
		return true
	}
	c.sent = true
	out := *c.out
	n, errno := writeNow(fd, out)
	switch errno {
	case 0:
		return false
	case syscall.EAGAIN:
		_, c.err = c.sock.Write(out[n:])
	default:
		c.err = c.sock.opError("write", errno)
	}
	return c.err != nil
}

// flushHeld writes a held response, if any.
func (c *ClientConn) flushHeld() error {
	b := c.held.Swap(nil)
	if b == nil {
		return nil
	}
	_, err := c.sock.Write(*b)
	heldPool.Put(b)
	return err
}

// Close implements net.Conn: a held response is sent first.
func (c *ClientConn) Close() error {
	_ = c.flushHeld()
	return c.Conn.Close()
}
