package proxy

import (
	"sync"
	"sync/atomic"
)

// splitRegistry keeps each split group's request counter across reloads,
// keyed by rule, group index and group token (splitToken): a reload that
// changes only weights keeps counting where it was; one that changes a
// group's servers starts that group anew.
type splitRegistry struct {
	mu  sync.Mutex
	all map[string]*atomic.Uint64
}

// get returns the counter for key, creating it.
func (r *splitRegistry) get(key string) *atomic.Uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.all == nil {
		r.all = map[string]*atomic.Uint64{}
	}
	c, ok := r.all[key]
	if !ok {
		c = new(atomic.Uint64)
		r.all[key] = c
	}
	return c
}

// retain forgets counters whose keys are not in keep.
func (r *splitRegistry) retain(keep map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.all {
		if !keep[k] {
			delete(r.all, k)
		}
	}
}
