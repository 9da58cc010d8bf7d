package wsrelay

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Rule is one rule's live WebSocket state: its counters and open
// connections, kept across reloads (keyed by the rule's name).
type Rule struct {
	name     string
	open     atomic.Int64
	accepted atomic.Uint64
	refused  atomic.Uint64
	// counters updated once per read burst by the relays
	msgsIn, msgsOut   atomic.Uint64
	bytesIn, bytesOut atomic.Uint64

	conns map[*Conn]struct{} // guarded by Hub.mu
}

// Hub is a gateway's WebSocket registry: per-rule counters and the open
// connections, so shutdown and reloads can close them. It owns every
// relay's goroutines: CloseAll ends them.
type Hub struct {
	mu      sync.Mutex
	rules   map[string]*Rule
	order   []string
	open    int           // open connections, all rules
	closing bool          // CloseAll ran: new upgrades get 503
	idle    chan struct{} // closed when open drops to 0 while someone waits

	log            *slog.Logger
	opened, closed func(route string)
}

// HubOptions are what a Hub reports to.
type HubOptions struct {
	// Log gets a line per connection that outlasts its rule's log
	// threshold (default slog.Default()).
	Log *slog.Logger
	// Opened and Closed, when set, run as a relayed connection starts
	// and ends (the gateway's per-rule gauge).
	Opened, Closed func(route string)
}

// NewHub returns an empty registry.
func NewHub(o HubOptions) *Hub {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Hub{rules: map[string]*Rule{}, log: o.Log, opened: o.Opened, closed: o.Closed}
}

// Rule returns the state of the rule named name, creating it.
func (h *Hub) Rule(name string) *Rule {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ruleLocked(name)
}

func (h *Hub) ruleLocked(name string) *Rule {
	r, ok := h.rules[name]
	if !ok {
		r = &Rule{name: name, conns: map[*Conn]struct{}{}}
		h.rules[name] = r
		h.order = append(h.order, name)
	}
	return r
}

// Refuse counts an upgrade of r refused before Reserve (origin).
func (r *Rule) Refuse() { r.refused.Add(1) }

// Reserve takes one connection slot of r (max 0: no cap). It fails when
// the gateway is closing its WebSockets, the rule is full, or all rules
// together hold global connections (0: no cap).
func (h *Hub) Reserve(r *Rule, max, global int) bool {
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

// Release gives back a slot taken by Reserve whose connection never opened.
func (h *Hub) Release(r *Rule) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.open.Add(-1)
	h.dropLocked()
}

// add registers an established connection.
func (h *Hub) add(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c.rule.conns[c] = struct{}{}
	c.rule.accepted.Add(1)
	if h.closing {
		c.goAway(wsGoingAway, "server shutting down", wsCloseWait)
	}
}

// remove unregisters a finished connection.
func (h *Hub) remove(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(c.rule.conns, c)
	c.rule.open.Add(-1)
	h.dropLocked()
}

func (h *Hub) dropLocked() {
	h.open--
	if h.open > 0 {
		return
	}
	if h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// CloseRemoved closes (1001, within grace at most) the connections of
// every rule live does not name: a reload removed those rules. The
// others are untouched.
func (h *Hub) CloseRemoved(live map[string]bool, grace time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, r := range h.rules {
		if live[name] {
			continue
		}
		for c := range r.conns {
			c.goAway(wsGoingAway, "route removed", grace)
		}
	}
}

// CloseAll closes every relayed connection for shutdown: both peers get a
// close frame 1001 ("going away") at once, the closing handshakes get at
// most grace, then the connections are cut. Reserve fails from the first
// call on. It returns when all connections are gone.
func (h *Hub) CloseAll(grace time.Duration) {
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
