package source

import (
	"sync"
	"time"
)

// MaxHealthEvents bounds a HealthTimeline.
const MaxHealthEvents = 200

// HealthTimeline is the backends' health, ejection and breaker changes,
// each stamped when it was observed. The gateway keeps one fed by its own
// sampler; the dashboard keeps one from its snapshots for a source that
// keeps none. Safe for concurrent use; the zero value is ready.
type HealthTimeline struct {
	mu     sync.Mutex
	last   map[string]HealthEvent
	events []HealthEvent // oldest first, at most MaxHealthEvents
}

// Observe records the changes in bs since the last call; a backend's
// first observation is an event too (its state when it was first seen).
func (h *HealthTimeline) Observe(now time.Time, bs []Backend) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		h.last = map[string]HealthEvent{}
	}
	for _, b := range bs {
		e := HealthEvent{Time: now.UTC(), Backend: b.URL, Healthy: b.Healthy, Ejected: b.Ejected, Breaker: b.Breaker}
		prev, seen := h.last[b.URL]
		if seen && prev.Healthy == e.Healthy && prev.Ejected == e.Ejected && prev.Breaker == e.Breaker {
			continue
		}
		h.last[b.URL] = e
		h.events = append(h.events, e)
	}
	if n := len(h.events); n > MaxHealthEvents {
		h.events = append(h.events[:0], h.events[n-MaxHealthEvents:]...)
	}
}

// List returns the timeline, oldest first (never nil).
func (h *HealthTimeline) List() []HealthEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HealthEvent{}, h.events...)
}
