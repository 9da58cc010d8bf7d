//go:build !race

package metrics

import (
	"testing"
	"time"
)

// TestConsumerObserveZeroAllocs: recording an authenticated request (its
// consumer counted) and a refused one (its client in the route's top
// refused) allocates nothing once the consumer is known.
func TestConsumerObserveZeroAllocs(t *testing.T) {
	var m Collector
	o := &Observation{Route: "r", Consumer: "mobile", Status: 200, Start: time.Now(), Auth: AuthAdmitted}
	m.Observe(o)
	refused := &Observation{Route: "r", Status: 401, Start: time.Now(), Auth: AuthUnauthorized, Refused: []byte("10.0.0.1")}
	if n := testing.AllocsPerRun(100, func() { m.Observe(refused) }); n != 0 {
		t.Fatalf("refused: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { m.Observe(o) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
