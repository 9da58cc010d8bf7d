package proxy

import (
	"io"

	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/proxy/metrics"
)

// writePrometheus writes /metrics: the collector's families and the
// gateway's own state (breakers, backends, refusals, reloads) as of now.
func (g *Gateway) writePrometheus(w io.Writer) {
	bs := g.pool.Backends()
	stats := make([]lb.BackendStats, len(bs))
	for i, b := range bs {
		stats[i] = b.Stats()
	}
	g.metrics.WritePrometheus(w, &metrics.State{
		Breakers:           g.breakerStates(),
		Backends:           stats,
		ConnectionsRefused: g.conns.refused.Load(),
		Reloads:            g.reloads.Load(),
		ReloadFailures:     g.reloadFailures.Load(),
		Version:            Version,
	})
}

// breakerStates lists every circuit breaker of the running config with its
// typed state (Breakers gives the dashboard's view, with state names).
func (g *Gateway) breakerStates() []metrics.Breaker {
	t := g.cur.Load()
	var out []metrics.Breaker
	for _, p := range append(append([]*plan(nil), t.rules...), t.fallback) {
		for i, b := range p.breakers {
			name := "app"
			if i < len(p.backends) {
				name = p.backends[i].URL
			}
			out = append(out, metrics.Breaker{Route: p.name, Backend: name, State: b.State()})
		}
	}
	return out
}
