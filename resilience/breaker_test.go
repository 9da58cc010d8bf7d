package resilience

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testBreaker(clock *fakeClock, opts ...BreakerOption) *Breaker {
	cfg := BreakerConfig{}
	cfg.Defaults()
	cfg.FailureThreshold = 3
	cfg.RecoveryTimeout = 10
	return NewBreaker(cfg, append([]BreakerOption{WithClock(clock.Now)}, opts...)...)
}

func mustAllow(t *testing.T, b *Breaker) Ticket {
	t.Helper()
	tk, err := b.Acquire()
	if err != nil {
		t.Fatalf("Acquire: %v (state %v)", err, b.State())
	}
	return tk
}

func mustReject(t *testing.T, b *Breaker) {
	t.Helper()
	if _, err := b.Acquire(); !errors.Is(err, ErrOpen) {
		t.Fatalf("Acquire = %v, want ErrOpen (state %v)", err, b.State())
	}
}

func TestBreakerLifecycle(t *testing.T) {
	clock := newFakeClock()
	var changes []string
	b := testBreaker(clock, OnStateChange(func(from, to State) {
		changes = append(changes, from.String()+">"+to.String())
	}))
	// Failures below the threshold, interrupted by a success, keep it closed.
	b.Release(mustAllow(t, b), false)
	b.Release(mustAllow(t, b), false)
	b.Release(mustAllow(t, b), true)
	b.Release(mustAllow(t, b), false)
	b.Release(mustAllow(t, b), false)
	if b.State() != Closed || b.Failures() != 2 {
		t.Fatalf("state %v, %d failures after non-consecutive failures", b.State(), b.Failures())
	}
	b.Release(mustAllow(t, b), false)
	if b.State() != Open {
		t.Fatalf("state %v after 3 consecutive failures", b.State())
	}
	mustReject(t, b)
	if got := b.RetryAfter(); got != 10*time.Second {
		t.Fatalf("RetryAfter = %v", got)
	}
	clock.Add(9 * time.Second)
	mustReject(t, b)
	if got := b.RetryAfter(); got != time.Second {
		t.Fatalf("RetryAfter = %v", got)
	}
	clock.Add(time.Second)
	probe := mustAllow(t, b)
	if b.State() != HalfOpen {
		t.Fatalf("state %v, want half-open", b.State())
	}
	mustReject(t, b) // exactly one probe
	b.Release(probe, false)
	if b.State() != Open {
		t.Fatalf("failed probe: state %v, want open", b.State())
	}
	mustReject(t, b)
	clock.Add(10 * time.Second)
	probe = mustAllow(t, b)
	b.Release(probe, true)
	if b.State() != Closed {
		t.Fatalf("successful probe: state %v, want closed", b.State())
	}
	b.Release(mustAllow(t, b), false) // failure count restarted at 0
	if b.State() != Closed {
		t.Fatal("closing did not reset the failure count")
	}
	want := "[closed>open open>half-open half-open>open open>half-open half-open>closed]"
	if fmt.Sprint(changes) != want {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	tl := b.Transitions()
	if len(tl) != 5 || tl[0].From != Closed || tl[0].To != Open || tl[4].To != Closed {
		t.Fatalf("timeline %+v", tl)
	}
	if !tl[4].At.Equal(clock.Now()) {
		t.Fatalf("timeline time %v, want %v", tl[4].At, clock.Now())
	}
}

func TestBreakerStaleResultsIgnored(t *testing.T) {
	clock := newFakeClock()
	b := testBreaker(clock)
	slow := mustAllow(t, b) // a call that will answer late
	for range 3 {
		b.Release(mustAllow(t, b), false)
	}
	clock.Add(10 * time.Second)
	probe := mustAllow(t, b)
	b.Release(slow, true) // from the closed generation: must not close
	if b.State() != HalfOpen {
		t.Fatalf("stale success moved the breaker to %v", b.State())
	}
	b.Release(probe, false)
	b.Release(probe, true) // reported twice: the second is stale
	if b.State() != Open {
		t.Fatalf("state %v, want open", b.State())
	}
}

func TestBreakerLostProbeReplaced(t *testing.T) {
	clock := newFakeClock()
	b := testBreaker(clock)
	for range 3 {
		b.Release(mustAllow(t, b), false)
	}
	clock.Add(10 * time.Second)
	lost := mustAllow(t, b)
	mustReject(t, b)
	clock.Add(10 * time.Second)
	probe := mustAllow(t, b)
	b.Release(lost, true) // the lost probe's late answer is stale now
	if b.State() != HalfOpen {
		t.Fatalf("state %v", b.State())
	}
	b.Release(probe, true)
	if b.State() != Closed {
		t.Fatalf("state %v", b.State())
	}
}

func TestBreakerAllowDone(t *testing.T) {
	clock := newFakeClock()
	b := testBreaker(clock)
	for range 3 {
		if err := b.Allow(); err != nil {
			t.Fatal(err)
		}
		b.Done(false)
	}
	if err := b.Allow(); !errors.Is(err, ErrOpen) {
		t.Fatalf("Allow = %v", err)
	}
	b.Done(true) // while open: ignored
	if b.State() != Open {
		t.Fatal("Done closed an open breaker")
	}
	clock.Add(10 * time.Second)
	if err := b.Allow(); err != nil {
		t.Fatal(err)
	}
	b.Done(true)
	if b.State() != Closed {
		t.Fatalf("state %v", b.State())
	}
}

func TestBreakerOneProbeUnderConcurrency(t *testing.T) {
	clock := newFakeClock()
	b := testBreaker(clock)
	for range 3 {
		b.Release(mustAllow(t, b), false)
	}
	clock.Add(10 * time.Second)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 100 {
				if _, err := b.Acquire(); err == nil {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 1 {
		t.Fatalf("%d probes let through, want 1", allowed.Load())
	}
}

func TestBreakerConcurrentChurn(t *testing.T) {
	clock := newFakeClock()
	b := testBreaker(clock)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				if tk, err := b.Acquire(); err == nil {
					b.Release(tk, (i+g)%3 != 0)
				}
				if i%100 == 0 {
					clock.Add(time.Second)
				}
			}
		})
	}
	wg.Wait()
	_ = b.State()
	_ = b.Transitions()
}

type connErr struct{}

func (connErr) Error() string { return "conn" }
func (connErr) Unwrap() error { return io.ErrUnexpectedEOF }

func TestCall(t *testing.T) {
	clock := newFakeClock()
	b := testBreaker(clock)
	boom := errors.New("boom")
	calls := 0
	fail := func(context.Context) (int, error) { calls++; return 0, boom }
	for range 3 {
		if _, err := Call(context.Background(), b, fail); err != boom {
			t.Fatalf("err = %v", err)
		}
	}
	if _, err := Call(context.Background(), b, fail); !errors.Is(err, ErrOpen) || calls != 3 {
		t.Fatalf("open breaker: err %v, calls %d", err, calls)
	}
	clock.Add(10 * time.Second)
	v, err := Call(context.Background(), b, func(context.Context) (int, error) { return 7, nil })
	if v != 7 || err != nil || b.State() != Closed {
		t.Fatalf("probe: %v %v %v", v, err, b.State())
	}

	// ExpectedException ConnectionError: other errors do not count.
	cfg := BreakerConfig{FailureThreshold: 1, RecoveryTimeout: 1, ExpectedException: "ConnectionError"}
	cb := NewBreaker(cfg, WithClock(clock.Now))
	for range 5 {
		_, _ = Call(context.Background(), cb, fail)
	}
	if cb.State() != Closed {
		t.Fatal("a non-connection error opened a ConnectionError breaker")
	}
	_, _ = Call(context.Background(), cb, func(context.Context) (int, error) { return 0, connErr{} })
	if cb.State() != Open {
		t.Fatal("a connection error did not open it")
	}

	// A panic counts as a failure and propagates.
	pb := NewBreaker(BreakerConfig{FailureThreshold: 1, RecoveryTimeout: 1}, WithClock(clock.Now))
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		_, _ = Call(context.Background(), pb, func(context.Context) (int, error) { panic("x") })
	}()
	if pb.State() != Open {
		t.Fatal("panic did not count as a failure")
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Closed: "closed", Open: "open", HalfOpen: "half-open"} {
		if s.String() != want {
			t.Errorf("%d: %q", s, s.String())
		}
	}
}

// The timeline's JSON names the states as the dashboard shows them.
func TestTransitionJSON(t *testing.T) {
	b, err := json.Marshal(Transition{From: HalfOpen, To: Open})
	if err != nil || !strings.Contains(string(b), `"from":"half-open","to":"open"`) {
		t.Fatalf("%s %v", b, err)
	}
	if Closed.Severity() != 0 || HalfOpen.Severity() != 1 || Open.Severity() != 2 {
		t.Fatal("severity order")
	}
}
