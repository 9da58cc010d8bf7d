package limiter

import (
	"sync"
	"time"
)

// Registry keeps limiters by id across config reloads, so a rule whose limit
// did not change keeps its counters. The gateway asks for every rule's
// limiter after each load with Get, then drops the others with Retain.
type Registry struct {
	mu    sync.Mutex
	opts  []Option
	m     map[string]*Limiter
	clock *CoarseClock // owned, when opts set no clock
	store Store        // from WithStore; closed by Close
}

// NewRegistry returns an empty Registry whose limiters are built with opts
// (plus WithName(id)). Unless opts include WithClock, the registry starts
// its own CoarseClock (1 ms; one goroutine) for all its limiters, which
// Close stops.
func NewRegistry(opts ...Option) *Registry {
	r := &Registry{m: make(map[string]*Limiter)}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.clock == nil {
		r.clock = NewCoarseClock(time.Millisecond)
		opts = append(opts[:len(opts):len(opts)], WithClock(r.clock))
	}
	r.opts = opts
	r.store = o.store
	return r
}

// Get returns the limiter for id: the same *Limiter as before while cfg is
// unchanged (compared after filling in the default algorithm and bucket
// size), a new one with fresh counters when it changed.
func (r *Registry) Get(id string, cfg Config) (*Limiter, error) {
	cfg = normalize(cfg)
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.m[id]; ok && sameLimit(l.cfg, cfg) {
		return l, nil
	}
	l, err := New(cfg, append(r.opts[:len(r.opts):len(r.opts)], WithName(id))...)
	if err != nil {
		return nil, err
	}
	r.m[id] = l
	return l, nil
}

func sameLimit(a, b Config) bool {
	return a.Quota == b.Quota && a.Duration == b.Duration && a.Algorithm == b.Algorithm &&
		a.Capacity() == b.Capacity()
}

// Retain drops every limiter whose id is not in ids.
func (r *Registry) Retain(ids []string) {
	keep := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		keep[id] = struct{}{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.m {
		if _, ok := keep[id]; !ok {
			delete(r.m, id)
		}
	}
}

// Len returns the number of limiters held.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

// Close drops every limiter, stops the registry's clock and closes the
// store given with WithStore when it has a Close method (a RedisStore:
// waits for its lease refills in flight). Callers still holding a limiter
// may keep using it (its clock stops advancing); Close at shutdown. Close
// is idempotent.
func (r *Registry) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.m)
	if r.clock != nil {
		r.clock.Close()
	}
	if c, ok := r.store.(interface{ Close() }); ok {
		c.Close()
	}
}
