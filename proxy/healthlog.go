package proxy

import (
	"sync"
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

// healthLog is the backends' health, ejection and breaker changes, each
// stamped when the gateway saw it: a goroutine of the gateway samples the
// backends every healthSampleEvery whether or not a dashboard is open
// (an ejection ends by the clock and a breaker moves on its next request,
// so sampling, not a callback in each, sees every kind of change).
type healthLog struct {
	mu     sync.Mutex
	last   map[string]source.HealthEvent
	events []source.HealthEvent // oldest first, at most maxHealthEvents
	stop   chan struct{}
	done   chan struct{}
}

// healthSampleEvery bounds how late a change is stamped.
const healthSampleEvery = 250 * time.Millisecond

// maxHealthEvents bounds the timeline.
const maxHealthEvents = 200

// start samples with sample every interval until close.
func (h *healthLog) start(sample func() []source.Backend, interval time.Duration) {
	h.stop, h.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(h.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			h.observe(time.Now(), sample())
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

// observe records the changes in bs since the last sample; a backend's
// first sample is an event too (its state when the gateway began using it).
func (h *healthLog) observe(now time.Time, bs []source.Backend) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		h.last = map[string]source.HealthEvent{}
	}
	for _, b := range bs {
		e := source.HealthEvent{Time: now.UTC(), Backend: b.URL, Healthy: b.Healthy, Ejected: b.Ejected, Breaker: b.Breaker}
		prev, seen := h.last[b.URL]
		if seen && prev.Healthy == e.Healthy && prev.Ejected == e.Ejected && prev.Breaker == e.Breaker {
			continue
		}
		h.last[b.URL] = e
		h.events = append(h.events, e)
	}
	if n := len(h.events); n > maxHealthEvents {
		h.events = append(h.events[:0], h.events[n-maxHealthEvents:]...)
	}
}

// list returns the timeline, oldest first (never nil).
func (h *healthLog) list() []source.HealthEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]source.HealthEvent{}, h.events...)
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
