package proxy

import (
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Close codes the gateway sends itself (RFC 6455 §7.4.1). Every other
// code passes through unchanged inside the peers' own close frames.
const (
	wsGoingAway     = 1001 // shutdown, reload removed the rule, idle timeout
	wsProtocolError = 1002 // a peer broke the framing rules
	wsTooBig        = 1009 // max_message_bytes exceeded
	wsInternalError = 1011 // the backend went away without a close frame
)

// wsCloseWait bounds a closing handshake the gateway starts on its own
// (idle timeout, size limit, protocol error, backend death).
const wsCloseWait = 5 * time.Second

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

// wsConn is one proxied WebSocket connection: the two peers and the two
// pumps relaying between them, allocated once per connection.
type wsConn struct {
	g       *Gateway
	hub     *wsHub
	rule    *wsRule
	log     *slog.Logger
	route   string
	backURL string

	idle         time.Duration // 0: none
	maxMsg       int64         // 0: none
	logThreshold time.Duration

	client, backend wsSide
	up, down        wsPump // client → backend, backend → client

	start     time.Time
	last      atomic.Int64 // unix ns of the last frame either way (idle timeout only)
	left      atomic.Int32 // pumps still running
	goingAway atomic.Bool
	done      chan struct{}

	cutMu      sync.Mutex
	cutAt      time.Time
	cutTimer   *time.Timer
	started    atomic.Bool // the hijack handler ran (or abort did)
	abortTimer *time.Timer
}

// serve runs the connection on the hijacked client connection nc: it
// relays the backend's 101 head, then pumps both ways until both peers are
// done. head and early are the 101 and any frames the backend sent with it.
func (c *wsConn) serve(nc net.Conn, head, early []byte) {
	if !c.started.CompareAndSwap(false, true) {
		return // aborted: the handshake took too long to reach here
	}
	c.abortTimer.Stop()
	raw, pre := unwrapHijacked(nc, c.up.small[:])
	c.client.conn = raw
	_ = raw.SetWriteDeadline(time.Now().Add(wsCloseWait))
	_, err := raw.Write(head)
	_ = raw.SetWriteDeadline(time.Time{})
	if err != nil {
		c.client.kill()
		c.backend.kill()
		c.hub.remove(c)
		return
	}
	c.start = time.Now()
	if c.idle > 0 {
		c.last.Store(c.start.UnixNano())
		dl := c.start.Add(c.idle)
		_ = raw.SetReadDeadline(dl)
		_ = c.backend.conn.SetReadDeadline(dl)
	}
	c.hub.add(c.g, c)
	c.g.metrics.WebSocketOpened(c.route)
	c.left.Store(2)
	go c.down.run(early)
	if c.g.keepsHijacked.Load() {
		// fasthttp leaves the connection to us: free its request context
		// and read buffer now instead of holding them for the session.
		go c.up.run(pre)
		return
	}
	c.up.run(pre)
	<-c.done
}

// unwrapHijacked returns the connection under fasthttp's hijack wrapper and
// the bytes the wrapper had already buffered past the upgrade request (a
// client must wait for the 101, so normally none). tmp is scratch space.
func unwrapHijacked(nc net.Conn, tmp []byte) (net.Conn, []byte) {
	u, ok := nc.(interface{ UnsafeConn() net.Conn })
	if !ok {
		return nc, nil
	}
	raw := u.UnsafeConn()
	// Drain the wrapper's buffer without blocking: with a deadline in the
	// past, the wrapper returns what it holds, then a timeout.
	var pre []byte
	_ = raw.SetReadDeadline(time.Unix(1, 0))
	for {
		n, err := nc.Read(tmp)
		pre = append(pre, tmp[:n]...)
		if err != nil || n == 0 {
			break
		}
	}
	_ = raw.SetReadDeadline(time.Time{})
	return raw, pre
}

// touch records activity for the idle timeout.
func (c *wsConn) touch() {
	if c.idle > 0 {
		c.last.Store(time.Now().UnixNano())
	}
}

// onTimeout handles a read deadline on side s; false ends the pump.
func (c *wsConn) onTimeout(s *wsSide) bool {
	if c.goingAway.Load() {
		_ = s.conn.SetReadDeadline(time.Time{}) // the cut timer bounds the rest
		return true
	}
	if c.idle <= 0 {
		return false
	}
	last := time.Unix(0, c.last.Load())
	if dl := last.Add(c.idle); time.Now().Before(dl) {
		_ = s.conn.SetReadDeadline(dl)
		return true
	}
	_ = s.conn.SetReadDeadline(time.Time{})
	c.goAway(wsGoingAway, "idle timeout", wsCloseWait)
	return true
}

// goAway starts a gateway-initiated close: code and reason to both peers,
// at most wait for their replies, then the connections are cut. It never
// blocks (it may be called with the hub locked).
func (c *wsConn) goAway(code uint16, reason string, wait time.Duration) {
	c.armCut(wait)
	if !c.goingAway.CompareAndSwap(false, true) {
		return
	}
	go func() {
		c.client.sendClose(closeFrame(code, reason, false))
		c.backend.sendClose(closeFrame(code, reason, true))
	}()
}

// armCut cuts both connections after d, or earlier if already armed so.
func (c *wsConn) armCut(d time.Duration) {
	at := time.Now().Add(d)
	c.cutMu.Lock()
	defer c.cutMu.Unlock()
	if c.cutTimer != nil {
		if !at.Before(c.cutAt) {
			return
		}
		c.cutTimer.Stop()
	}
	c.cutAt = at
	c.cutTimer = time.AfterFunc(d, c.cut)
}

func (c *wsConn) cut() {
	c.client.kill()
	c.backend.kill()
}

// pumpDone runs when a pump's source stopped (err from its read). The last
// pump to stop finishes the connection.
func (c *wsConn) pumpDone(p *wsPump) {
	src := p.src
	switch {
	case src.closeRecv.Load():
		// A clean end: the other side gets wsCloseWait to finish its handshake.
		src.kill()
		c.armCut(wsCloseWait)
	case src.backend:
		// The backend died mid-session: tell the client.
		src.kill()
		c.armCut(wsCloseWait)
		c.client.sendClose(closeFrame(wsInternalError, "backend went away", false))
	default:
		// The client vanished: nobody is left to talk to.
		c.cut()
	}
	if c.left.Add(-1) == 0 {
		c.finish()
	}
}

func (c *wsConn) finish() {
	c.cutMu.Lock()
	if c.cutTimer != nil {
		c.cutTimer.Stop()
	}
	c.cutMu.Unlock()
	c.cut()
	c.hub.remove(c)
	c.g.metrics.WebSocketClosed(c.route)
	if d := time.Since(c.start); c.logThreshold > 0 && d > c.logThreshold {
		c.log.Info("websocket connection",
			slog.String("route", c.route), slog.String("backend", c.backURL),
			slog.Duration("duration", d),
			slog.Uint64("messages_in", c.up.msgs), slog.Uint64("messages_out", c.down.msgs),
			slog.Uint64("bytes_in", c.up.bytes), slog.Uint64("bytes_out", c.down.bytes))
	}
	close(c.done)
}

// abort drops a connection whose hijack handler never ran.
func (c *wsConn) abort() {
	if !c.started.CompareAndSwap(false, true) {
		return
	}
	c.backend.kill()
	c.hub.remove(c)
}

// closeFrame builds a close frame; masked for frames to the backend.
func closeFrame(code uint16, reason string, masked bool) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	n := 2 + len(reason)
	f := make([]byte, 0, 2+4+n)
	payload := append([]byte{byte(code >> 8), byte(code)}, reason...)
	if !masked {
		return append(append(f, 0x88, byte(n)), payload...)
	}
	key := rand.Uint32()
	m := [4]byte{byte(key >> 24), byte(key >> 16), byte(key >> 8), byte(key)}
	f = append(f, 0x88, 0x80|byte(n), m[0], m[1], m[2], m[3])
	for i, b := range payload {
		f = append(f, b^m[i&3])
	}
	return f
}
