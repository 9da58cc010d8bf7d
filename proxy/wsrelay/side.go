package wsrelay

import (
	"net"
	"sync"
	"sync/atomic"
)

// wsSide is one peer of a proxied connection, as the relay writes to it.
// Two goroutines write to a side: the pump relaying the other peer's frames
// and, rarely, whoever injects a close frame; mu keeps frames whole.
type wsSide struct {
	conn    net.Conn
	backend bool // the gateway is this peer's client: its frames are masked

	closing   atomic.Bool // a close frame is forwarded or queued: later frames are dropped
	closeRecv atomic.Bool // this peer sent its close frame
	dead      atomic.Bool // writing to it failed or it was closed

	mu        sync.Mutex
	boundary  bool   // what was written ends at a frame boundary
	closeSent bool   // a close frame was fully written
	pending   []byte // a gateway close frame waiting for a boundary
}

// write sends b, after which the output is at a frame boundary or not. A
// queued close frame goes out at the first boundary. closeDone says b
// ends a forwarded close frame.
func (s *wsSide) write(b []byte, boundary, closeDone bool) {
	s.mu.Lock()
	if len(b) > 0 && !s.dead.Load() {
		if _, err := s.conn.Write(b); err != nil {
			s.failLocked()
		}
		s.boundary = boundary
	}
	if closeDone {
		s.closeSent = true
	} else if s.pending != nil && s.boundary && !s.dead.Load() {
		if _, err := s.conn.Write(s.pending); err != nil {
			s.failLocked()
		}
		s.pending, s.closeSent = nil, true
	}
	s.doneLocked()
	s.mu.Unlock()
}

// sendClose queues a gateway close frame unless one is already on its way.
func (s *wsSide) sendClose(frame []byte) {
	if !s.closing.CompareAndSwap(false, true) {
		return
	}
	s.mu.Lock()
	if s.boundary {
		if !s.dead.Load() {
			if _, err := s.conn.Write(frame); err != nil {
				s.failLocked()
			}
		}
		s.closeSent = true
	} else {
		s.pending = frame
	}
	s.doneLocked()
	s.mu.Unlock()
}

// gotClose records this peer's close frame.
func (s *wsSide) gotClose() {
	s.mu.Lock()
	s.closeRecv.Store(true)
	s.doneLocked()
	s.mu.Unlock()
}

// doneLocked closes the peer's connection once its closing handshake is
// complete: a close frame each way.
func (s *wsSide) doneLocked() {
	if s.closeSent && s.closeRecv.Load() && !s.dead.Load() {
		s.failLocked()
	}
}

func (s *wsSide) failLocked() {
	s.dead.Store(true)
	_ = s.conn.Close()
}

// kill closes the peer's connection.
func (s *wsSide) kill() {
	s.dead.Store(true)
	_ = s.conn.Close()
}
