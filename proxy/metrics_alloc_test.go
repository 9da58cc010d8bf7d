//go:build !race

package proxy

import (
	"testing"
	"time"
)

// TestObserveZeroAllocs proves recording a request allocates nothing: a
// plain request, a rate-limited one (top keys), a cache hit, cache misses
// with and without a Cache-Status to parse, and slot turns.
func TestObserveZeroAllocs(t *testing.T) {
	var m metrics
	o := obs("/api/*", 200, time.Millisecond, 800*time.Microsecond, t0)
	m.observe(o) // first sight of the route adds it
	i := 0
	key := []byte("203.0.113.7")
	statuses := [][]byte{[]byte("premier; fwd=uri-miss; stored; ttl=60"), []byte("premier; fwd=stale; detail=set-cookie"), nil}
	if n := testing.AllocsPerRun(1000, func() {
		i++
		o.Start = t0.Add(time.Duration(i) * time.Second) // crosses slots and minutes
		o.Status = 200 + i%4*100
		o.Cache = CacheOutcome(i % 4)
		o.CacheStatus = statuses[i%3]
		o.Limit = LimitOutcome(i % 4)
		o.LimitKey = key
		m.observe(o)
	}); n != 0 {
		t.Fatalf("observe: %v allocations, want 0", n)
	}
}
