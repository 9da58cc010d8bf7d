package resilience

import (
	"math/bits"
	"strings"
	"sync"
	"testing"
	"time"
)

// The window's rule, outcome by outcome: nothing opens before min outcomes,
// then the failed share of the last size outcomes is compared with the rate.
func TestRateWindowMath(t *testing.T) {
	w := newRateWindow(20, 0.5)
	if w.size != RateWindowSize || len(w.bits) != 2 {
		t.Fatalf("size %d, %d words", w.size, len(w.bits))
	}
	// 19 failures: all failed, but fewer than min_requests outcomes.
	for i := range 19 {
		if w.record(true) {
			t.Fatalf("opened after %d outcomes, below min_requests", i+1)
		}
	}
	if !w.record(true) {
		t.Fatal("20 failures out of 20 did not open")
	}

	// Half the traffic healthy: 10 failures in 20 is exactly the rate.
	w = newRateWindow(20, 0.5)
	opened := 0
	for i := range 20 {
		if w.record(i%2 == 1) {
			opened = i + 1
		}
	}
	if opened != 20 { // failure #10 is outcome 20: 10/20 reaches 0.5
		t.Fatalf("opened at outcome %d, want 20", opened)
	}
	// The same share with the failures first: outcome 19 holds 10/19, but
	// only a failure at or after min_requests outcomes can open.
	w = newRateWindow(20, 0.5)
	for i := range 20 {
		if w.record(i < 10) {
			t.Fatalf("opened at outcome %d", i+1)
		}
	}

	// Below the rate: 1 failure in 3 never opens, however many.
	w = newRateWindow(20, 0.5)
	for i := range 1000 {
		if w.record(i%3 == 0) {
			t.Fatalf("1 in 3 failures opened at outcome %d", i+1)
		}
	}
	if w.failures() != 33 && w.failures() != 34 {
		t.Fatalf("window holds %d failures of its last 100, want 33 or 34", w.failures())
	}

	// The window slides: 100 successes, then failures are judged against
	// the last 100 outcomes; the 50th failure reaches 50/100.
	w = newRateWindow(20, 0.5)
	for range 100 {
		w.record(false)
	}
	for i := range 50 {
		if got := w.record(true); got != (i == 49) {
			t.Fatalf("failure %d after 100 successes: opens=%v", i+1, got)
		}
	}

	// min_requests above the documented size widens the window.
	w = newRateWindow(250, 0.1)
	if w.size != 250 || len(w.bits) != 4 {
		t.Fatalf("size %d, %d words", w.size, len(w.bits))
	}
	for range 225 {
		w.record(false)
	}
	for i := range 25 {
		if got := w.record(true); got != (i == 24) { // 25/250 = 0.1
			t.Fatalf("failure %d: opens=%v", i+1, got)
		}
	}

	// A rate that is not a binary fraction still compares exactly: 3 of 10.
	w = newRateWindow(10, 0.3)
	for i := range 10 {
		if got := w.record(i >= 7); got != (i == 9) {
			t.Fatalf("outcome %d: opens=%v", i+1, got)
		}
	}

	// reset forgets everything, min_requests included.
	w.reset()
	if w.failures() != 0 || w.seen.Load() != 0 {
		t.Fatalf("after reset: %d failures, %d seen", w.failures(), w.seen.Load())
	}
	for range 9 {
		if w.record(true) {
			t.Fatal("opened below min_requests after reset")
		}
	}
}

// Under concurrent writers the failure count stays equal to the failures
// the ring holds.
func TestRateWindowConcurrentCount(t *testing.T) {
	w := newRateWindow(64, 0.99)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20_000 {
				w.record((i+g)%3 == 0)
			}
		}()
	}
	wg.Wait()
	set := 0
	for i := range w.bits {
		set += bits.OnesCount64(w.bits[i].Load())
	}
	if set != w.failures() {
		t.Fatalf("count %d, bits set %d", w.failures(), set)
	}
}

// A failure-rate breaker: a few failures among healthy calls keep it
// closed, an outage opens it, half-open behaves as before, and closing
// starts a fresh window.
func TestBreakerFailureRate(t *testing.T) {
	clock := newFakeClock()
	b := NewBreaker(BreakerConfig{FailureThreshold: 1, RecoveryTimeout: 10, ExpectedException: "Exception",
		FailureRate: 0.5, MinRequests: 20}, WithClock(clock.Now))
	for i := range 200 {
		b.Release(mustAllow(t, b), i%5 != 0) // 20% failures; FailureThreshold 1 is not used
	}
	if b.State() != Closed || b.Failures() != 20 {
		t.Fatalf("20%% failures: %v with %d failures in the window", b.State(), b.Failures())
	}
	for i := 0; b.State() == Closed; i++ {
		if i == 100 {
			t.Fatal("an outage did not open the breaker")
		}
		b.Release(mustAllow(t, b), false)
	}
	if _, err := b.Acquire(); err != ErrOpen {
		t.Fatalf("open breaker let a call through: %v", err)
	}
	clock.Add(10 * time.Second)
	probe := mustAllow(t, b)
	if b.State() != HalfOpen || b.Allow() != ErrOpen {
		t.Fatal("half-open must let exactly one probe through")
	}
	b.Release(probe, true)
	if b.State() != Closed || b.Failures() != 0 {
		t.Fatalf("after the probe: %v, %d failures", b.State(), b.Failures())
	}
	// The fresh window needs min_requests outcomes again.
	for range 19 {
		b.Release(mustAllow(t, b), false)
	}
	if b.State() != Closed {
		t.Fatal("opened below min_requests after closing")
	}
	b.Release(mustAllow(t, b), false)
	if b.State() != Open {
		t.Fatal("20 failures of 20 after closing did not open")
	}
}

func TestBreakerConfigValidateFailureRate(t *testing.T) {
	for _, c := range []struct {
		rate    float64
		min     int
		wantErr string
	}{
		{0, 0, ""},
		{0.5, 0, ""},
		{1, 1, ""},
		{0.25, MaxMinRequests, ""},
		{-0.1, 0, "failure_rate: must be a share"},
		{1.5, 0, "failure_rate: must be a share"},
		{0.5, -1, "min_requests: must be between 1 and 10000"},
		{0.5, MaxMinRequests + 1, "min_requests: must be between 1 and 10000"},
		{0, 20, "min_requests: only applies with failure_rate"},
	} {
		var cfg BreakerConfig
		cfg.Defaults()
		cfg.FailureRate, cfg.MinRequests = c.rate, c.min
		err := cfg.Validate()
		if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("rate %v min %d: %v, want %q", c.rate, c.min, err, c.wantErr)
		}
	}
	var cfg BreakerConfig
	cfg.Defaults()
	if cfg.FailureRate != 0 || cfg.MinRequestsOrDefault() != DefaultMinRequests {
		t.Fatalf("defaults: %+v", cfg)
	}
}
