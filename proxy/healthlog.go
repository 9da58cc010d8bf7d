package proxy

import (
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

// healthLog is the backends' health, ejection and breaker changes, each
// stamped when the gateway saw it: a goroutine of the gateway samples the
// backends every healthSampleEvery whether or not a dashboard is open
// (an ejection ends by the clock and a breaker moves on its next request,
// so sampling, not a callback in each, sees every kind of change).
type healthLog struct {
	source.HealthTimeline
	stop chan struct{}
	done chan struct{}
}

// healthSampleEvery bounds how late a change is stamped.
const healthSampleEvery = 250 * time.Millisecond

// start samples with sample every interval until close.
func (h *healthLog) start(sample func() []source.Backend, interval time.Duration) {
	h.stop, h.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(h.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			h.Observe(time.Now(), sample())
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
}

// close stops the sampling goroutine, if started, and waits for it.
func (h *healthLog) close() {
	if h.stop != nil {
		close(h.stop)
		<-h.done
	}
}

// backendStates is every pooled backend's state as the dashboard shows
// it: health, ejection and the worst breaker state over the rules using it.
func (g *Gateway) backendStates() []source.Backend {
	breakers := worstBreakerStates(g.Breakers())
	out := []source.Backend{}
	for _, b := range g.pool.Backends() {
		st := b.Stats()
		out = append(out, source.Backend{URL: st.URL, Healthy: st.Healthy,
			HealthChecked: st.HealthChecked, Ejected: st.Ejected, Ejections: st.Ejections,
			Breaker: breakers[st.URL], InFlight: st.InFlight,
			Requests: st.Requests, Failures: st.Failures, LatencyMs: millis(st.EWMA)})
	}
	return out
}
