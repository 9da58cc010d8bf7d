//go:build !race

package metrics

import (
	"testing"
	"time"

	"github.com/premier-gateway/premier/cache"
)

// TestObserveZeroAllocs proves recording a request allocates nothing: a
// plain request, a rate-limited one (top keys), a cache hit, cache misses
// stored, refused and unreported, every source, and slot turns.
func TestObserveZeroAllocs(t *testing.T) {
	var m Collector
	o := obs("/api/*", 200, time.Millisecond, 800*time.Microsecond, t0)
	m.Observe(o) // first sight of the route adds it
	i := 0
	key := []byte("203.0.113.7")
	misses := []cache.MissResult{{Fwd: cache.FwdURIMiss}, {Fwd: cache.FwdStale, Reason: cache.ReasonSetCookie}, {}}
	if n := testing.AllocsPerRun(1000, func() {
		i++
		o.Start = t0.Add(time.Duration(i) * time.Second) // crosses slots and minutes
		o.Status = 200 + i%4*100
		o.Cache = CacheOutcome(i % 4)
		o.Miss = misses[i%3]
		o.Limit = LimitOutcome(i % 4)
		o.Source = Source(i % 4)
		o.LimitKey = key
		m.Observe(o)
	}); n != 0 {
		t.Fatalf("observe: %v allocations, want 0", n)
	}
}
