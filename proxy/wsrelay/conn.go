package wsrelay

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Options are one relayed connection's settings, plain values taken from
// the rule that accepted the upgrade.
type Options struct {
	Route           string        // the rule's name: counters, metrics and the log line
	Backend         string        // the backend's URL, for the log line
	IdleTimeout     time.Duration // no frame either way for this long: 1001 (0: none)
	MaxMessageBytes int64         // a larger message: 1009 (0: none)
	LogThreshold    time.Duration // connections lasting longer are logged (0: never)
	// Detached: the server leaves hijacked connections to their handler
	// (fasthttp's KeepHijackedConns), so Serve may return while the relay
	// runs on its own goroutines and the server frees its request context.
	Detached bool
	// Closed, when set, is called once when a relayed session ends, with
	// its length and the bytes relayed from the client and to it (the
	// access log's line for the session).
	Closed func(d time.Duration, bytesIn, bytesOut uint64)
}

// Conn is one proxied WebSocket connection: the two peers and the two
// pumps relaying between them, allocated once per connection.
type Conn struct {
	hub     *Hub
	rule    *Rule
	log     *slog.Logger
	route   string
	backURL string

	idle         time.Duration // 0: none
	maxMsg       int64         // 0: none
	logThreshold time.Duration
	detached     bool
	closed       func(time.Duration, uint64, uint64)

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

// NewConn prepares the relay of an upgrade r accepted, whose slot
// h.Reserve took: backend is the connection that answered the 101,
// positioned after it. Serve runs it; AbortAfter bounds the wait for Serve.
func NewConn(h *Hub, r *Rule, backend net.Conn, o Options) *Conn {
	c := &Conn{hub: h, rule: r, log: h.log, route: o.Route, backURL: o.Backend,
		idle: o.IdleTimeout, maxMsg: o.MaxMessageBytes, logThreshold: o.LogThreshold,
		detached: o.Detached, closed: o.Closed, done: make(chan struct{})}
	c.backend = wsSide{conn: backend, backend: true, boundary: true}
	c.client.boundary = true
	c.up = wsPump{c: c, src: &c.client, dst: &c.backend, in: true}
	c.down = wsPump{c: c, src: &c.backend, dst: &c.client}
	return c
}

// AbortAfter drops the backend connection and gives back the slot if
// Serve has not started within d (plus the close wait): the server may
// never run the hijack handler when the client connection failed first.
// Call it before handing Serve to the server.
func (c *Conn) AbortAfter(d time.Duration) {
	c.abortTimer = time.AfterFunc(d+wsCloseWait, c.abort)
}

// Serve runs the connection on the hijacked client connection nc: it
// relays the backend's 101 head, then pumps both ways until both peers are
// done (or, Detached, until the pumps run on their own). head and early
// are the 101 and any frames the backend sent with it.
func (c *Conn) Serve(nc net.Conn, head, early []byte) {
	if !c.started.CompareAndSwap(false, true) {
		return // aborted: the handshake took too long to reach here
	}
	if c.abortTimer != nil {
		c.abortTimer.Stop()
	}
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
	c.hub.add(c)
	if c.hub.opened != nil {
		c.hub.opened(c.route)
	}
	c.left.Store(2)
	go c.down.run(early)
	if c.detached {
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
func (c *Conn) touch() {
	if c.idle > 0 {
		c.last.Store(time.Now().UnixNano())
	}
}

// onTimeout handles a read deadline on side s; false ends the pump.
func (c *Conn) onTimeout(s *wsSide) bool {
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
func (c *Conn) goAway(code uint16, reason string, wait time.Duration) {
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
func (c *Conn) armCut(d time.Duration) {
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

func (c *Conn) cut() {
	c.client.kill()
	c.backend.kill()
}

// pumpDone runs when a pump's source stopped (err from its read). The last
// pump to stop finishes the connection.
func (c *Conn) pumpDone(p *wsPump) {
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

func (c *Conn) finish() {
	c.cutMu.Lock()
	if c.cutTimer != nil {
		c.cutTimer.Stop()
	}
	c.cutMu.Unlock()
	c.cut()
	c.hub.remove(c)
	if c.hub.closed != nil {
		c.hub.closed(c.route)
	}
	if d := time.Since(c.start); c.logThreshold > 0 && d > c.logThreshold {
		c.log.Info("websocket connection",
			slog.String("route", c.route), slog.String("backend", c.backURL),
			slog.Duration("duration", d),
			slog.Uint64("messages_in", c.up.msgs), slog.Uint64("messages_out", c.down.msgs),
			slog.Uint64("bytes_in", c.up.bytes), slog.Uint64("bytes_out", c.down.bytes))
	}
	if c.closed != nil {
		c.closed(time.Since(c.start), c.up.bytes, c.down.bytes)
	}
	close(c.done)
}

// abort drops a connection whose hijack handler never ran.
func (c *Conn) abort() {
	if !c.started.CompareAndSwap(false, true) {
		return
	}
	c.backend.kill()
	c.hub.remove(c)
}
