//go:build !race

package tracing

import (
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/mpsc"
)

// TestSampledRequestZeroAllocs: recording a sampled request — its server
// span, two attempts with their traceparents, and the copy into the ring
// at End — allocates nothing.
func TestSampledRequestZeroAllocs(t *testing.T) {
	tr := &Tracer{ring: mpsc.New[record](QueueSize), wake: make(chan struct{}, 1)}
	var r Request
	s := testServer(time.Now())
	parent := Parent{Flags: 1, TraceID: [16]byte{1}, SpanID: [8]byte{2}}
	state := []byte("vendor=abc")
	a0, a1 := testAttempt(0, time.Now()), testAttempt(1, time.Now())
	tp := make([]byte, 0, 64)
	run := func() {
		r.Reset()
		tr.Start(&r, &parent, true, state, s)
		tp = r.StartAttempt(a0, tp[:0])
		r.EndAttempt(503, "", a0.Start)
		tp = r.StartAttempt(a1, tp[:0])
		r.EndAttempt(200, "", a1.Start)
		r.End(200, a1.Start)
		if tr.ring.Peek() != nil {
			tr.ring.Release()
		}
	}
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Fatalf("%v allocations per sampled request", n)
	}
	if tr.Dropped() != 0 {
		t.Fatalf("%d dropped", tr.Dropped())
	}
}
