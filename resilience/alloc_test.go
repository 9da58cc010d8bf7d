//go:build !race

package resilience

import "testing"

func TestHotPathAllocs(t *testing.T) {
	clock := newFakeClock()
	b := testBreaker(clock)
	var c RetryConfig
	c.Defaults()
	c.Wait = Wait{0.1, 0.2}
	c.Jitter = 0.3
	c.Methods = []string{"GET", "POST"}
	budget := NewBudget(0.2)
	rb := NewBreaker(BreakerConfig{RecoveryTimeout: 60, FailureRate: 0.5, MinRequests: 20})
	var n int
	post := []byte("POST")
	for name, fn := range map[string]func(){
		"Acquire/Release": func() {
			tk, err := b.Acquire()
			if err == nil {
				b.Release(tk, true)
			}
		},
		"Allow/Done": func() {
			if b.Allow() == nil {
				b.Done(true)
			}
		},
		"Acquire/Release failure_rate": func() {
			n++
			if tk, err := rb.Acquire(); err == nil {
				rb.Release(tk, n%4 != 0)
			}
		},
		"WaitFor":     func() { _ = c.WaitFor(3) },
		"RetryStatus": func() { _ = c.RetryStatus(503) },
		"RetryMethod": func() { _ = c.RetryMethod(post, false) },
		"RetryKind":   func() { _ = c.RetryKind(KindTimeout) },
		"Budget":      func() { budget.OnRequest(); _ = budget.TryRetry() },
	} {
		if a := testing.AllocsPerRun(1000, fn); a != 0 {
			t.Errorf("%s: %v allocs", name, a)
		}
	}
	ob := NewBreaker(BreakerConfig{FailureThreshold: 1, RecoveryTimeout: 60})
	ob.Done(false)
	if a := testing.AllocsPerRun(1000, func() { _ = ob.Allow() }); a != 0 {
		t.Errorf("open Allow: %v allocs", a)
	}
}
