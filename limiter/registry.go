package limiter

import "sync"

// Registry keeps limiters by id across config reloads, so a rule whose limit
// did not change keeps its counters. The gateway asks for every rule's
// limiter after each load with Get, then drops the others with Retain.
type Registry struct {
	mu   sync.Mutex
	opts []Option
	m    map[string]*Limiter
}

// NewRegistry returns an empty Registry whose limiters are built with opts
// (plus WithName(id)).
func NewRegistry(opts ...Option) *Registry {
	return &Registry{opts: opts, m: make(map[string]*Limiter)}
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

// Close drops every limiter. Limiters own no goroutines, so callers still
// holding one may keep using it; it is simply no longer shared.
func (r *Registry) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.m)
}
