package metrics

import "time"

// RouteSnapshot is a rule's request counters, as the status page shows them.
// They come from the dashboard's collector, which counts every request
// once.
type RouteSnapshot struct {
	Route         string  `json:"route"`
	Requests      uint64  `json:"requests"`
	Status2xx     uint64  `json:"status_2xx"`
	Status3xx     uint64  `json:"status_3xx"`
	Status4xx     uint64  `json:"status_4xx"`
	Status5xx     uint64  `json:"status_5xx"`
	MeanLatencyMs float64 `json:"mean_latency_ms"`
}

// RouteSnapshot reads the counters of the rule named name.
func (m *Collector) RouteSnapshot(name string) RouteSnapshot {
	out := RouteSnapshot{Route: name}
	r := m.lookup(name)
	if r == nil {
		return out
	}
	s := r.snapshot(time.Now())
	out.Requests = s.Requests
	out.Status2xx, out.Status3xx, out.Status4xx, out.Status5xx = s.Status[2], s.Status[3], s.Status[4], s.Status[5]
	if s.Requests > 0 {
		out.MeanLatencyMs = float64(r.durationNs.Load()) / float64(s.Requests) / 1e6
	}
	return out
}
