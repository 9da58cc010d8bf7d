package proxy

import (
	"sync"
	"sync/atomic"
	"time"
)

// WebSocketStats are one rule's WebSocket counters, kept across reloads
// (keyed by the rule's pattern). "In" is client → backend, "out" is
// backend → client; bytes are wire bytes (frame headers included).
type WebSocketStats struct {
	Route       string `json:"route"`
	Open        int64  `json:"open"`
	Accepted    uint64 `json:"accepted"`
	Refused     uint64 `json:"refused"` // origin, max_connections, shutdown
	MessagesIn  uint64 `json:"messages_in"`
	MessagesOut uint64 `json:"messages_out"`
	BytesIn     uint64 `json:"bytes_in"`
	BytesOut    uint64 `json:"bytes_out"`
}

// wsRule is one rule's live WebSocket state.
type wsRule struct {
	name     string
	open     atomic.Int64
	accepted atomic.Uint64
	refused  atomic.Uint64
	// counters updated once per read burst by the relays
	msgsIn, msgsOut   atomic.Uint64
	bytesIn, bytesOut atomic.Uint64

	conns map[*wsConn]struct{} // guarded by wsHub.mu
}

// wsHub is a gateway's WebSocket registry: per-rule counters and the open
// connections, so shutdown and reloads can close them.
type wsHub struct {
	mu       sync.Mutex
	rules    map[string]*wsRule
	order    []string
	open     int           // open connections, all rules
	closing  bool          // CloseWebSockets ran: new upgrades get 503
	idle     chan struct{} // closed when open drops to 0 while someone waits
	watchEnd chan struct{} // non-nil while the reload watcher runs
}

// hubFor returns g's WebSocket registry.
func hubFor(g *Gateway) *wsHub {
	g.wsOnce.Do(func() { g.ws.rules = map[string]*wsRule{} })
	return &g.ws
}

// rule returns the state of the rule named name, creating it.
func (h *wsHub) rule(name string) *wsRule {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ruleLocked(name)
}

func (h *wsHub) ruleLocked(name string) *wsRule {
	r, ok := h.rules[name]
	if !ok {
		r = &wsRule{name: name, conns: map[*wsConn]struct{}{}}
		h.rules[name] = r
		h.order = append(h.order, name)
	}
	return r
}

// reserve takes one connection slot of r (max 0: no cap). It fails when
// the gateway is closing its WebSockets, the rule is full, or all rules
// together hold global connections (0: no cap).
func (h *wsHub) reserve(r *wsRule, max, global int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing || (max > 0 && r.open.Load() >= int64(max)) || (global > 0 && h.open >= global) {
		r.refused.Add(1)
		return false
	}
	r.open.Add(1)
	h.open++
	return true
}

// release gives back a slot taken by reserve whose connection never opened.
func (h *wsHub) release(r *wsRule) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.open.Add(-1)
	h.dropLocked()
}

// add registers an established connection; g lets the reload watcher see
// the running table.
func (h *wsHub) add(g *Gateway, c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c.rule.conns[c] = struct{}{}
	c.rule.accepted.Add(1)
	if h.closing {
		c.goAway(wsGoingAway, "server shutting down", wsCloseWait)
	}
	if h.watchEnd == nil {
		h.watchEnd = make(chan struct{})
		go h.watchReloads(g, h.watchEnd, g.cur.Load())
	}
}

// remove unregisters a finished connection.
func (h *wsHub) remove(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(c.rule.conns, c)
	c.rule.open.Add(-1)
	h.dropLocked()
}

func (h *wsHub) dropLocked() {
	h.open--
	if h.open > 0 {
		return
	}
	if h.watchEnd != nil {
		close(h.watchEnd)
		h.watchEnd = nil
	}
	if h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// wsReloadPoll is how often the watcher compares the running table with
// the one it last saw. Reload swaps tables without telling this file.
const wsReloadPoll = 200 * time.Millisecond

// watchReloads runs while connections are open. After a reload it closes
// (1001, after the new config's shutdown_grace at most) the connections of
// rules the new config no longer has; the others are untouched.
func (h *wsHub) watchReloads(g *Gateway, end chan struct{}, seen *table) {
	tick := time.NewTicker(wsReloadPoll)
	defer tick.Stop()
	for {
		select {
		case <-end:
			return
		case <-tick.C:
		}
		t := g.cur.Load()
		if t == seen {
			continue
		}
		seen = t
		names := make(map[string]bool, len(t.rules)+1)
		names[t.fallback.name] = true
		for _, p := range t.rules {
			names[p.name] = true
		}
		grace := seconds(t.loaded.Config.Limits.ShutdownGrace)
		h.mu.Lock()
		for name, r := range h.rules {
			if names[name] {
				continue
			}
			for c := range r.conns {
				c.goAway(wsGoingAway, "route removed", grace)
			}
		}
		h.mu.Unlock()
	}
}

// CloseWebSockets closes every proxied WebSocket connection for shutdown:
// both peers get a close frame 1001 ("going away") at once, the closing
// handshakes get at most grace, then the connections are cut. New upgrades
// are refused with 503 from the first call on. It returns when all
// connections are gone.
//
// fasthttp's Server.Shutdown does not wait for hijacked connections, so
// call it after (or alongside) the server's shutdown.
func (g *Gateway) CloseWebSockets(grace time.Duration) {
	h := hubFor(g)
	h.mu.Lock()
	h.closing = true
	if h.open == 0 {
		h.mu.Unlock()
		return
	}
	for _, r := range h.rules {
		for c := range r.conns {
			c.goAway(wsGoingAway, "server shutting down", grace)
		}
	}
	if h.idle == nil {
		h.idle = make(chan struct{})
	}
	idle := h.idle
	h.mu.Unlock()
	<-idle
}

// WebSocketStats returns every rule's WebSocket counters, in the order the
// rules first proxied a WebSocket.
func (g *Gateway) WebSocketStats() []WebSocketStats {
	h := hubFor(g)
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]WebSocketStats, 0, len(h.order))
	for _, n := range h.order {
		r := h.rules[n]
		out = append(out, WebSocketStats{
			Route: n, Open: r.open.Load(), Accepted: r.accepted.Load(), Refused: r.refused.Load(),
			MessagesIn: r.msgsIn.Load(), MessagesOut: r.msgsOut.Load(),
			BytesIn: r.bytesIn.Load(), BytesOut: r.bytesOut.Load(),
		})
	}
	return out
}
