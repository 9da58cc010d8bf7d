package proxy

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// RouteStats are one rule's counters, kept across reloads (keyed by pattern).
type RouteStats struct {
	Name      string
	requests  atomic.Uint64
	status2xx atomic.Uint64
	status3xx atomic.Uint64
	status4xx atomic.Uint64
	status5xx atomic.Uint64
	latencyNs atomic.Uint64
}

// RouteSnapshot is a copy of a rule's counters.
type RouteSnapshot struct {
	Route         string  `json:"route"`
	Requests      uint64  `json:"requests"`
	Status2xx     uint64  `json:"status_2xx"`
	Status3xx     uint64  `json:"status_3xx"`
	Status4xx     uint64  `json:"status_4xx"`
	Status5xx     uint64  `json:"status_5xx"`
	MeanLatencyMs float64 `json:"mean_latency_ms"`
}

func (r *RouteStats) observe(status int, d time.Duration) {
	r.requests.Add(1)
	r.latencyNs.Add(uint64(d))
	switch {
	case status >= 500:
		r.status5xx.Add(1)
	case status >= 400:
		r.status4xx.Add(1)
	case status >= 300:
		r.status3xx.Add(1)
	default:
		r.status2xx.Add(1)
	}
}

// Snapshot copies the counters.
func (r *RouteStats) Snapshot() RouteSnapshot {
	s := RouteSnapshot{
		Route: r.Name, Requests: r.requests.Load(),
		Status2xx: r.status2xx.Load(), Status3xx: r.status3xx.Load(),
		Status4xx: r.status4xx.Load(), Status5xx: r.status5xx.Load(),
	}
	if s.Requests > 0 {
		s.MeanLatencyMs = float64(r.latencyNs.Load()) / float64(s.Requests) / 1e6
	}
	return s
}

// gatewayStats owns every rule's counters plus requests refused before
// routing.
type gatewayStats struct {
	mu       sync.Mutex
	routes   map[string]*RouteStats
	order    []string
	early4xx atomic.Uint64
}

func (s *gatewayStats) route(name string) *RouteStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.routes == nil {
		s.routes = map[string]*RouteStats{}
	}
	r, ok := s.routes[name]
	if !ok {
		r = &RouteStats{Name: name}
		s.routes[name] = r
		s.order = append(s.order, name)
	}
	return r
}

func (s *gatewayStats) rejected(int) { s.early4xx.Add(1) }

// snapshot copies the counters of the given routes, in that order.
func (s *gatewayStats) snapshot(names []string) []RouteSnapshot {
	out := make([]RouteSnapshot, 0, len(names))
	for _, n := range names {
		out = append(out, s.route(n).Snapshot())
	}
	return out
}

// failureLog logs a backend's failures at most once per interval, so a dead
// backend does not flood the log with one line per request.
type failureLog struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
	dropped  map[string]int
}

func (f *failureLog) note(backend string, err error) {
	now := time.Now()
	f.mu.Lock()
	if f.last == nil {
		f.last, f.dropped = map[string]time.Time{}, map[string]int{}
	}
	if t, ok := f.last[backend]; ok && now.Sub(t) < f.interval {
		f.dropped[backend]++
		f.mu.Unlock()
		return
	}
	dropped := f.dropped[backend]
	f.last[backend], f.dropped[backend] = now, 0
	f.mu.Unlock()
	f.log.Warn("backend request failed", slog.String("backend", backend),
		slog.String("error", err.Error()), slog.Int("suppressed_since_last", dropped))
}
