package proxy

import (
	"sync"
	"sync/atomic"

	"github.com/premier-gateway/premier/proxy/metrics"
	"github.com/premier-gateway/premier/ui/source"
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

// splitPlans are the running table's plans with a split, in file order
// (default_features last).
func (t *table) splitPlans() []*plan {
	var out []*plan
	for _, p := range append(append([]*plan(nil), t.rules...), t.fallback) {
		if p.split != nil {
			out = append(out, p)
		}
	}
	return out
}

// splitGroups lists every split group's counter for /metrics.
func (g *Gateway) splitGroups() []metrics.SplitGroup {
	var out []metrics.SplitGroup
	for _, p := range g.cur.Load().splitPlans() {
		for i, c := range p.split.counts {
			out = append(out, metrics.SplitGroup{Route: p.name, Group: p.split.names[i], Requests: c.Load()})
		}
	}
	return out
}

// addSplits fills each route's split groups into the dashboard's routes
// (by pattern; a pattern written twice shows its first rule's split).
func addSplits(routes []source.Route, t *table) {
	for _, p := range t.splitPlans() {
		for ri := range routes {
			if routes[ri].Route != p.name || routes[ri].Split != nil {
				continue
			}
			sp := p.split
			var total uint64
			for _, c := range sp.counts {
				total += c.Load()
			}
			gs := make([]source.SplitGroup, len(sp.arms))
			for i, arm := range sp.arms {
				n := sp.counts[i].Load()
				gs[i] = source.SplitGroup{Group: i, Weight: sp.weights[i], Requests: n, Servers: make([]string, len(arm.backends))}
				for j, b := range arm.backends {
					gs[i].Servers[j] = b.URL
				}
				if total > 0 {
					gs[i].Share = float64(n) / float64(total)
				}
			}
			routes[ri].Split = gs
			break
		}
	}
}
