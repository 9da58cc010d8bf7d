package metrics

import (
	"sync"
	"sync/atomic"
)

// Collector collects observations for the dashboard and /metrics. Its zero
// value is ready. Observe is lock-free except for the recent-requests slot
// (a mutex per slot, so writers only meet when the ring wraps within one
// write) and the top-limited-keys table (TryLock: a busy table skips the
// sample instead of waiting). It never allocates.
type Collector struct {
	routes  atomic.Pointer[map[string]*routeMetrics]
	mu      sync.Mutex // serialises adding a route
	overflo routeMetrics

	minutes   [minuteSlots]minuteSlot // the whole gateway, one slot per minute
	seconds   [secondSlots]secondSlot // the whole gateway, one slot per second (History)
	recent    recentRing
	consumers consumerTable // requests per admitted consumer
}

// maxRoutes bounds the distinct route names kept (labels stay bounded across
// reloads that rename rules); later names are counted under "other".
const maxRoutes = 256

// Observe records one finished request. The handler calls it once per
// request; it does not allocate, but for the first request of a route or
// of a consumer (each table grows once per name, and is bounded).
func (m *Collector) Observe(o *Observation) {
	r := m.route(o.Route)
	sec := o.Start.Unix()
	b := bucketOf(o.Duration)
	r.record(o, sec, b)
	m.minute(sec, o, b)
	m.second(sec, o, b)
	m.recent.add(o)
	if o.Consumer != "" {
		m.consumers.record(o)
	}
}

// route returns the metrics of the named route, adding it on first sight.
func (m *Collector) route(name string) *routeMetrics {
	if p := m.routes.Load(); p != nil {
		if r, ok := (*p)[name]; ok {
			return r
		}
	}
	return m.addRoute(name)
}

func (m *Collector) addRoute(name string) *routeMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.routes.Load()
	if old != nil {
		if r, ok := (*old)[name]; ok {
			return r
		}
		if len(*old) >= maxRoutes {
			m.overflo.name = "other"
			return &m.overflo
		}
	}
	next := make(map[string]*routeMetrics, 1+lenMap(old))
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	r := &routeMetrics{name: name}
	next[name] = r
	m.routes.Store(&next)
	return r
}

func lenMap(p *map[string]*routeMetrics) int {
	if p == nil {
		return 0
	}
	return len(*p)
}

// minute adds o to the gateway-wide per-minute ring.
func (m *Collector) minute(sec int64, o *Observation, b int) {
	ep := sec / 60
	s := &m.minutes[ep%minuteSlots]
	if !s.claim(ep) {
		return
	}
	s.count.Add(1)
	if o.Status >= 500 {
		s.errors.Add(1)
	}
	switch o.Cache {
	case CacheHit:
		s.cacheHits.Add(1)
		s.cacheLookups.Add(1)
	case CacheMiss:
		s.cacheLookups.Add(1)
	}
	if o.Limit == LimitRejected {
		s.limited.Add(1)
	}
	if refusedBy(o) {
		s.refused.Add(1)
	}
	s.hist[b].Add(1)
}

// minuteSlots keeps a little more than an hour so "an hour ago" is whole.
const minuteSlots = 72

// minuteSlot is one minute of the whole gateway.
type minuteSlot struct {
	epoch        atomic.Int64 // unix minute this slot holds (0: never used)
	count        atomic.Uint64
	errors       atomic.Uint64 // 5xx
	cacheHits    atomic.Uint64
	cacheLookups atomic.Uint64 // hits + misses
	limited      atomic.Uint64
	refused      atomic.Uint64 // 4xx the gateway answered itself (refusedBy)
	hist         [numBuckets]atomic.Uint64
}

// claim makes the slot hold epoch ep, zeroing it when it held an older one.
// It reports false for an observation older than the slot (dropped). Two
// writers racing at a slot change may lose a few counts: this is a
// dashboard ring, not an accounting ledger (the cumulative counters are exact).
func (s *minuteSlot) claim(ep int64) bool {
	ok, reset := claimEpoch(&s.epoch, ep)
	if reset {
		zeroSlot(&s.hist, &s.count, &s.errors, &s.cacheHits, &s.cacheLookups, &s.limited, &s.refused)
	}
	return ok
}

// zeroSlot zeroes a ring slot being moved on: its histogram and counters.
func zeroSlot(hist *[numBuckets]atomic.Uint64, counters ...*atomic.Uint64) {
	for i := range hist {
		hist[i].Store(0)
	}
	for _, c := range counters {
		c.Store(0)
	}
}

// claimEpoch moves a ring slot to epoch ep. ok is false for an observation
// older than the slot (dropped); reset is true for the one caller that moved
// the slot on, which must zero the slot's counters.
func claimEpoch(epoch *atomic.Int64, ep int64) (ok, reset bool) {
	cur := epoch.Load()
	if cur == ep {
		return true, false
	}
	if cur > ep {
		return false, false
	}
	return true, epoch.CompareAndSwap(cur, ep)
}

// WebSocketOpened counts an open WebSocket connection on route; call
// WebSocketClosed when it ends.
func (m *Collector) WebSocketOpened(route string) { m.route(route).websockets.Add(1) }

// WebSocketClosed counts a closed WebSocket connection on route.
func (m *Collector) WebSocketClosed(route string) { m.route(route).websockets.Add(-1) }
