package ui

import (
	"sync"
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

// HealthEvent is a backend's health or breaker state change. A source
// that keeps no timeline of its own (source.Snapshot.HealthEvents nil) gets
// the changes the dashboard sees between its snapshots.
type HealthEvent = source.HealthEvent

// maxHealthEvents bounds the timeline.
const maxHealthEvents = 200

type healthTimeline struct {
	mu     sync.Mutex
	last   map[string]HealthEvent
	events []HealthEvent
}

// observe records the changes in bs since the last call.
func (h *healthTimeline) observe(now time.Time, bs []source.Backend) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		h.last = map[string]HealthEvent{}
	}
	for _, b := range bs {
		e := HealthEvent{Time: now, Backend: b.URL, Healthy: b.Healthy, Ejected: b.Ejected, Breaker: b.Breaker}
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

func (h *healthTimeline) list() []HealthEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HealthEvent{}, h.events...)
}
