package proxy

import (
	"io"
	"time"

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
		ConnectionsRefused: g.conns.Refused(),
		HTTP2Floods:        g.h2.Floods(),
		Reloads:            g.reloads.Load(),
		ReloadFailures:     g.reloadFailures.Load(),
		BufferedBodyBytes:  g.bodies.Used(),
		Version:            Version,
		AccessLogDropped:   g.AccessLogDropped(),
		TracingDropped:     g.TracingDropped(),
		TLS:                g.tls.figures(time.Now()),
		GatewayAnswers:     gatewayAnswers(),
		Splits:             g.splitGroups(),
	})
}

// breakerStates lists every circuit breaker of the running config.
func (g *Gateway) breakerStates() []metrics.Breaker {
	all := g.Breakers()
	out := make([]metrics.Breaker, len(all))
	for i, b := range all {
		out[i] = metrics.Breaker{Route: b.Route, Backend: b.Backend, State: b.State}
	}
	return out
}
