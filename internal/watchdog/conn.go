package watchdog

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is a net.Conn whose far deadlines are kept by its Watchdog.
type Conn struct {
	net.Conn
	wd      *Watchdog
	idx     int // position in wd.conns, guarded by wd.mu
	r, w    side
	removed atomic.Bool

	waitFrom atomic.Int64 // clock at BeginWait; 0 = no marked wait
	onStall  func()       // the stall check (see stall.go)
	onClose  func()       // run once by the first Close
}

// side is one direction's deadline.
type side struct {
	at    atomic.Int64 // recorded far deadline, Unix ns; 0 = none
	mu    sync.Mutex
	armed bool // the socket itself has a deadline set
}

// past is the deadline the watchdog sets to fail a blocked operation.
var past = time.Unix(1, 0)

// SetDeadline implements net.Conn.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.r.set(c, t, true); err != nil {
		return err
	}
	return c.w.set(c, t, false)
}

// SetReadDeadline implements net.Conn.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.r.set(c, t, true) }

// SetWriteDeadline implements net.Conn.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.w.set(c, t, false) }

// Watchdog returns the watchdog that watches c.
func (c *Conn) Watchdog() *Watchdog { return c.wd }

// OnClose sets f to run once, on the first Close; set it before use.
func (c *Conn) OnClose(f func()) { c.onClose = f }

// Close implements net.Conn and stops watching c.
func (c *Conn) Close() error {
	if c.removed.CompareAndSwap(false, true) {
		c.wd.remove(c)
		if c.onClose != nil {
			c.onClose()
		}
	}
	return c.Conn.Close()
}

func (c *Conn) socket(read bool, t time.Time) error {
	if read {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

// set records a far deadline (clearing any the socket holds) or gives a
// near one, a past one, or any after the watchdog closed to the socket.
func (s *side) set(c *Conn, t time.Time, read bool) error {
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ns != 0 && c.wd.near(ns) {
		s.at.Store(0)
		s.armed = true
		return c.socket(read, t)
	}
	s.at.Store(ns)
	if s.armed {
		s.armed = false
		return c.socket(read, time.Time{})
	}
	return nil
}

// expire fails c's blocked operation in this direction when its recorded
// deadline is at or before now.
func (s *side) expire(c *Conn, now int64, read bool) {
	if at := s.at.Load(); at == 0 || at > now {
		return
	}
	s.mu.Lock()
	if at := s.at.Load(); at != 0 && at <= now {
		s.at.Store(0)
		s.armed = true
		_ = c.socket(read, past)
	}
	s.mu.Unlock()
}

// handOver gives a recorded deadline to the socket (the watchdog closed).
func (s *side) handOver(c *Conn, read bool) {
	s.mu.Lock()
	if at := s.at.Load(); at != 0 {
		s.at.Store(0)
		s.armed = true
		_ = c.socket(read, time.Unix(0, at))
	}
	s.mu.Unlock()
}
