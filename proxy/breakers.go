package proxy

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/premier-gateway/premier/resilience"
)

// breakerRegistry keeps one circuit breaker per rule and backend across
// reloads, as long as the rule's pattern, the backend and the breaker's
// settings stay the same.
type breakerRegistry struct {
	mu  sync.Mutex
	all map[string]*resilience.Breaker
}

func breakerKey(rule, backend string, cfg *resilience.BreakerConfig) string {
	return fmt.Sprintf("%s\x00%s\x00%d/%g/%s/%g/%d", rule, backend, cfg.FailureThreshold, cfg.RecoveryTimeout, cfg.ExpectedException, cfg.FailureRate, cfg.MinRequests)
}

// get returns the breaker for key, creating it (logging its state changes).
func (r *breakerRegistry) get(g *Gateway, key, rule, backend string, cfg *resilience.BreakerConfig) *resilience.Breaker {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.all == nil {
		r.all = map[string]*resilience.Breaker{}
	}
	if b, ok := r.all[key]; ok {
		return b
	}
	b := resilience.NewBreaker(*cfg, resilience.OnStateChange(func(from, to resilience.State) {
		g.log.Warn("circuit breaker state changed", slog.String("route", rule),
			slog.String("backend", backend), slog.String("from", from.String()), slog.String("to", to.String()))
	}))
	r.all[key] = b
	return b
}

// retain forgets breakers whose keys are not in keep.
func (r *breakerRegistry) retain(keep map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.all {
		if !keep[k] {
			delete(r.all, k)
		}
	}
}

// BreakerState is one breaker's state for the dashboard.
type BreakerState struct {
	Route       string                  `json:"route"`
	Backend     string                  `json:"backend"`
	State       resilience.State        `json:"state"`
	Failures    int                     `json:"failures"`
	RetryAfter  float64                 `json:"retry_after_seconds"`
	Transitions []resilience.Transition `json:"transitions"`
}

// Breakers describes every circuit breaker of the running config.
func (g *Gateway) Breakers() []BreakerState {
	t := g.cur.Load()
	var out []BreakerState
	all := append(append([]*plan(nil), t.rules...), t.fallback)
	for _, p := range all {
		if p.split != nil {
			all = append(all, p.split.arms...)
		}
	}
	for _, p := range all {
		for i, b := range p.breakers {
			name := "app"
			if i < len(p.backends) {
				name = p.backends[i].URL
			}
			out = append(out, BreakerState{Route: p.name, Backend: name, State: b.State(),
				Failures: b.Failures(), RetryAfter: b.RetryAfter().Seconds(), Transitions: b.Transitions()})
		}
	}
	return out
}
