package lb

import (
	"testing"
	"time"
)

func TestBackendCounters(t *testing.T) {
	_, bs := testBackends(t, 1)
	b := bs[0]
	b.Start()
	b.Start()
	if got := b.InFlight(); got != 2 {
		t.Fatalf("InFlight = %d, want 2", got)
	}
	b.Done(10*time.Millisecond, false)
	b.Done(10*time.Millisecond, true)
	s := b.Stats()
	if s.Requests != 2 || s.Failures != 1 || s.InFlight != 0 || !s.Healthy || s.HealthChecked {
		t.Fatalf("Stats = %+v", s)
	}
	if s.URL != "http://127.0.0.1:10000" {
		t.Fatalf("URL = %q", s.URL)
	}
}

func TestBackendEWMA(t *testing.T) {
	_, bs := testBackends(t, 1)
	b := bs[0]
	b.Start()
	b.Done(100*time.Millisecond, false)
	if got := b.EWMA(); got != 100*time.Millisecond {
		t.Fatalf("first sample: EWMA = %v", got)
	}
	for range 50 {
		b.Start()
		b.Done(10*time.Millisecond, false)
	}
	if got := b.EWMA(); got > 11*time.Millisecond || got < 10*time.Millisecond {
		t.Fatalf("after fast samples: EWMA = %v, want ~10ms", got)
	}
	// Peak: one slow sample moves it half way at once.
	b.Start()
	b.Done(210*time.Millisecond, false)
	if got := b.EWMA(); got < 100*time.Millisecond {
		t.Fatalf("after a slow sample: EWMA = %v, want >= 100ms", got)
	}
	// A fast failure still raises the average.
	before := b.EWMA()
	b.Start()
	b.Done(time.Microsecond, true)
	if got := b.EWMA(); got <= before {
		t.Fatalf("after a fast failure: EWMA = %v, want > %v", got, before)
	}
}
