package resilience_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/premier-gateway/premier/resilience"
)

func ExampleRetry() {
	var cfg resilience.RetryConfig
	cfg.Defaults() // 3 attempts, 1 s between them
	cfg.Wait = resilience.Wait{0.001, 0.002}

	calls := 0
	v, err := resilience.Retry(context.Background(), resilience.RetryPolicy{Config: cfg},
		func(ctx context.Context) (string, error) {
			calls++
			if calls < 3 {
				return "", errors.New("flaky")
			}
			return "done", nil
		})
	fmt.Println(v, err, calls)
	// Output: done <nil> 3
}

func ExampleRetry_exhausted() {
	cfg := resilience.RetryConfig{MaxAttempts: 2, Wait: resilience.Wait{0}}
	errDown := errors.New("backend down")
	_, err := resilience.Retry(context.Background(), resilience.RetryPolicy{Config: cfg},
		func(ctx context.Context) (int, error) { return 0, errDown })
	fmt.Println(errors.Is(err, resilience.ErrRetriesExhausted), errors.Is(err, errDown))
	// Output: true true
}

func ExampleTimeout() {
	_, err := resilience.Timeout(context.Background(), 10*time.Millisecond,
		func(ctx context.Context) (int, error) {
			<-ctx.Done() // a slow call that honours its context
			return 0, ctx.Err()
		})
	fmt.Println(errors.Is(err, resilience.ErrTimeout))
	// Output: true
}

func ExampleTimeit() {
	// Drop the time and the measured duration so the output is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "elapsed" {
				return slog.Attr{}
			}
			return a
		},
	}))
	v, _ := resilience.Timeit(context.Background(), "report", 0, logger,
		func(ctx context.Context) (int, error) { return 42, nil })
	fmt.Println(v)
	// Output:
	// level=WARN msg="slow call" name=report threshold=0s
	// 42
}

func ExampleNewBreaker() {
	cfg := resilience.BreakerConfig{FailureThreshold: 2, RecoveryTimeout: 30}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := resilience.NewBreaker(cfg,
		resilience.WithClock(func() time.Time { return now }),
		resilience.OnStateChange(func(from, to resilience.State) { fmt.Println(from, "->", to) }))

	for range 2 {
		t, _ := b.Acquire()
		b.Release(t, false) // two failures in a row
	}
	fmt.Println(b.Allow(), b.RetryAfter())

	now = now.Add(30 * time.Second)
	t, err := b.Acquire() // the one probe
	fmt.Println(err, b.Allow())
	b.Release(t, true)
	// Output:
	// closed -> open
	// resilience: circuit breaker open 30s
	// open -> half-open
	// <nil> resilience: circuit breaker open
	// half-open -> closed
}

func ExampleNewBreaker_failureRate() {
	// Open when at least 20 outcomes were seen and half of the last 100
	// failed; a few failures among healthy calls do not.
	cfg := resilience.BreakerConfig{RecoveryTimeout: 30, FailureRate: 0.5, MinRequests: 20}
	b := resilience.NewBreaker(cfg)
	for i := range 40 {
		t, _ := b.Acquire()
		b.Release(t, i%4 != 0) // one call in four fails
	}
	fmt.Println(b.State(), b.Failures())
	for b.State() == resilience.Closed { // an outage
		t, _ := b.Acquire()
		b.Release(t, false)
	}
	fmt.Println(b.State(), b.Failures())
	// Output:
	// closed 10
	// open 30
}

func ExampleCall() {
	b := resilience.NewBreaker(resilience.BreakerConfig{FailureThreshold: 1, RecoveryTimeout: 60})
	fail := func(ctx context.Context) (string, error) { return "", errors.New("500") }
	_, err := resilience.Call(context.Background(), b, fail)
	fmt.Println(err)
	_, err = resilience.Call(context.Background(), b, fail) // not called
	fmt.Println(errors.Is(err, resilience.ErrOpen))
	// Output:
	// 500
	// true
}

func ExampleNewBudget() {
	b := resilience.NewBudget(0.2, resilience.WithMinRetriesPerSecond(0))
	for b.TryRetry() { // spend the initial reserve
	}
	for range 10 {
		b.OnRequest() // each request earns 0.2 retries
	}
	fmt.Println(b.TryRetry(), b.TryRetry(), b.TryRetry())
	// Output: true true false
}

func ExampleRetryConfig_WaitFor() {
	c := resilience.RetryConfig{Wait: resilience.Wait{1, 2, 4}}
	fmt.Println(c.WaitFor(1), c.WaitFor(2), c.WaitFor(3), c.WaitFor(4))
	// Output: 1s 2s 4s 4s
}

func ExampleRetryConfig_RetryMethod() {
	var c resilience.RetryConfig
	c.Defaults()
	fmt.Println(c.RetryMethod([]byte("GET"), false), c.RetryMethod([]byte("POST"), false),
		c.RetryMethod([]byte("POST"), true))
	// Output: true false true
}
