package proxy

import (
	"sync"
	"sync/atomic"
	"time"
)

// CacheOutcome is what the cache did for one request.
type CacheOutcome uint8

// Cache outcomes.
const (
	CacheNone   CacheOutcome = iota // the rule has no cache
	CacheHit                        // served from the cache
	CacheMiss                       // fetched from the backend
	CacheBypass                     // not cacheable (method, no-cache request)
)

// LimitOutcome is what the rate limiter decided for one request.
type LimitOutcome uint8

// Limit outcomes.
const (
	LimitNone     LimitOutcome = iota // the rule has no rate limit
	LimitAllowed                      // counted and admitted
	LimitDelayed                      // admitted after a leaky-bucket wait
	LimitRejected                     // refused with the rule's error status
)

// Observation is one finished request as the dashboard and /metrics see
// it. It lives in the request's scratch memory: observers must copy what
// they keep and must not allocate per call.
type Observation struct {
	Rule     int    // rule index; -1 for default_features
	Route    string // the rule's pattern, or "default"
	Method   []byte
	Path     []byte // normalised path
	Status   int
	Start    time.Time
	Duration time.Duration // whole request in the gateway
	Upstream time.Duration // time spent waiting on the backend (0: none)
	Backend  string        // backend URL, "app" in plugin mode, "" when none
	Cache    CacheOutcome
	Limit    LimitOutcome
	LimitKey []byte // the limiter key when Limit is set
	// CacheStatus is the response's Cache-Status header value when Cache
	// is CacheMiss (e.g. `premier; fwd=uri-miss; detail=set-cookie`): the
	// dashboard counts misses per rule by its fwd and by its stored/detail.
	// Nil counts the miss under "unknown".
	CacheStatus []byte
}

// metrics collects observations for the dashboard and /metrics. Its zero
// value is ready. observe is lock-free except for the recent-requests slot
// (a mutex per slot, so writers only meet when the ring wraps within one
// write) and the top-limited-keys table (TryLock: a busy table skips the
// sample instead of waiting). It never allocates.
type metrics struct {
	routes  atomic.Pointer[map[string]*routeMetrics]
	mu      sync.Mutex // serialises adding a route
	overflo routeMetrics

	minutes [minuteSlots]minuteSlot // the whole gateway, one slot per minute
	recent  recentRing
}

// maxRoutes bounds the distinct route names kept (labels stay bounded across
// reloads that rename rules); later names are counted under "other".
const maxRoutes = 256

// observe records one finished request. The handler calls it once per request.
func (m *metrics) observe(o *Observation) {
	r := m.route(o.Route)
	sec := o.Start.Unix()
	b := bucketOf(o.Duration)
	r.record(o, sec, b)
	m.minute(sec, o, b)
	m.recent.add(o)
}

// route returns the metrics of the named route, adding it on first sight.
func (m *metrics) route(name string) *routeMetrics {
	if p := m.routes.Load(); p != nil {
		if r, ok := (*p)[name]; ok {
			return r
		}
	}
	return m.addRoute(name)
}

func (m *metrics) addRoute(name string) *routeMetrics {
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
func (m *metrics) minute(sec int64, o *Observation, b int) {
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
	hist         [numBuckets]atomic.Uint64
}

// claim makes the slot hold epoch ep, zeroing it when it held an older one.
// It reports false for an observation older than the slot (dropped). Two
// writers racing at a slot change may lose a few counts: this is a
// dashboard ring, not an accounting ledger (the cumulative counters are exact).
func (s *minuteSlot) claim(ep int64) bool {
	ok, reset := claimEpoch(&s.epoch, ep)
	if reset {
		zeroSlot(&s.hist, &s.count, &s.errors, &s.cacheHits, &s.cacheLookups, &s.limited)
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

// websocketOpened counts an open WebSocket connection on route; call
// websocketClosed when it ends.
func (m *metrics) websocketOpened(route string) { m.route(route).websockets.Add(1) }

// websocketClosed counts a closed WebSocket connection on route.
func (m *metrics) websocketClosed(route string) { m.route(route).websockets.Add(-1) }
