package metrics

import (
	"sync/atomic"
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

// The whole gateway second by second, for the overview's live chart: kept
// here rather than drawn from the page's own polls, so a page opened (or
// reloaded) after the traffic still shows the whole window at once.
const (
	// HistorySeconds is the live chart's window: the last five minutes.
	HistorySeconds = 300
	// secondSlots holds the window and the second in progress.
	secondSlots = HistorySeconds + 1
)

// secondSlot is one second of the whole gateway.
type secondSlot struct {
	epoch   atomic.Int64 // unix second this slot holds (0: never used)
	count   atomic.Uint64
	errors  atomic.Uint64 // 5xx
	refused atomic.Uint64 // 4xx the gateway answered itself (see Refused)
	limited atomic.Uint64 // refused by a rate limit
	hist    [numBuckets]atomic.Uint64
}

// claim: see minuteSlot.claim.
func (s *secondSlot) claim(ep int64) bool {
	ok, reset := claimEpoch(&s.epoch, ep)
	if reset {
		zeroSlot(&s.hist, &s.count, &s.errors, &s.refused, &s.limited)
	}
	return ok
}

// refusedBy reports whether the gateway refused o itself: a 4xx answered
// before any backend, the cache or the app (bad request, auth, rate limit,
// too large a body…).
func refusedBy(o *Observation) bool {
	return o.Source == SourceNone && o.Status >= 400 && o.Status < 500
}

// second adds o to the gateway-wide per-second ring.
func (m *Collector) second(sec int64, o *Observation, b int) {
	s := &m.seconds[sec%secondSlots]
	if !s.claim(sec) {
		return
	}
	s.count.Add(1)
	if o.Status >= 500 {
		s.errors.Add(1)
	}
	if refusedBy(o) {
		s.refused.Add(1)
	}
	if o.Limit == LimitRejected {
		s.limited.Add(1)
	}
	s.hist[b].Add(1)
}

// History returns the whole gateway's complete seconds of the last
// HistorySeconds before now, oldest first, none before since (when the
// gateway started: a second it was not running is not a quiet second).
// A second without requests has zero counts and zero percentiles.
func (m *Collector) History(now, since time.Time) []source.Second {
	last := now.Unix() - 1 // the second in progress is not complete
	first := max(last-HistorySeconds+1, since.Unix(), 0)
	out := make([]source.Second, 0, max(last-first+1, 0))
	for e := first; e <= last; e++ {
		p := source.Second{Time: time.Unix(e, 0).UTC()}
		s := &m.seconds[e%secondSlots]
		if s.epoch.Load() == e {
			var h [numBuckets]uint64
			for i := range h {
				h[i] = s.hist[i].Load()
			}
			p.Requests, p.Errors, p.Refused, p.Limited = s.count.Load(), s.errors.Load(), s.refused.Load(), s.limited.Load()
			p.P50, p.P95, p.P99 = millis(percentile(&h, 0.50)), millis(percentile(&h, 0.95)), millis(percentile(&h, 0.99))
			if s.epoch.Load() != e { // reused while reading
				p = source.Second{Time: p.Time}
			}
		}
		out = append(out, p)
	}
	return out
}
