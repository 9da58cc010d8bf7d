package resilience

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// recorder is an injected Sleep that records the waits and never sleeps.
type recorder struct{ waits []time.Duration }

func (r *recorder) Sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func policy(attempts int, wait ...float64) (RetryPolicy, *recorder) {
	r := &recorder{}
	cfg := RetryConfig{}
	cfg.Defaults()
	cfg.MaxAttempts = attempts
	cfg.Wait = wait
	return RetryPolicy{Config: cfg, Sleep: r.Sleep}, r
}

// flaky fails n times, then returns the number of calls.
func flaky(n int, err error) (func(context.Context) (int, error), *int) {
	calls := 0
	return func(context.Context) (int, error) {
		calls++
		if calls <= n {
			return 0, err
		}
		return calls, nil
	}, &calls
}

func TestRetrySucceedsAfterFailures(t *testing.T) {
	p, rec := policy(3, 1, 2)
	fn, calls := flaky(2, errors.New("flaky"))
	v, err := Retry(context.Background(), p, fn)
	if err != nil || v != 3 || *calls != 3 {
		t.Fatalf("v %d err %v calls %d", v, err, *calls)
	}
	if fmt.Sprint(rec.waits) != "[1s 2s]" {
		t.Fatalf("waits %v", rec.waits)
	}
}

func TestRetryWaitListLastReused(t *testing.T) {
	p, rec := policy(5, 0.5, 1)
	boom := errors.New("boom")
	fn, calls := flaky(10, boom)
	_, err := Retry(context.Background(), p, fn)
	if !errors.Is(err, ErrRetriesExhausted) || !errors.Is(err, boom) {
		t.Fatalf("err %v: want ErrRetriesExhausted wrapping boom", err)
	}
	if *calls != 5 {
		t.Fatalf("calls %d, want 5", *calls)
	}
	if fmt.Sprint(rec.waits) != "[500ms 1s 1s 1s]" {
		t.Fatalf("waits %v", rec.waits)
	}
}

func TestRetryNotRetryable(t *testing.T) {
	p, _ := policy(5, 0)
	p.Config.Exceptions = []string{"ConnectionError"}
	boom := errors.New("boom")
	fn, calls := flaky(10, boom)
	if _, err := Retry(context.Background(), p, fn); err != boom || *calls != 1 {
		t.Fatalf("other error: err %v calls %d", err, *calls)
	}
	refused := &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}
	fn, calls = flaky(2, refused)
	if _, err := Retry(context.Background(), p, fn); err != nil || *calls != 3 {
		t.Fatalf("connection error: err %v calls %d", err, *calls)
	}
	p.Config.Exceptions = nil
	fn, calls = flaky(10, Permanent(boom))
	if _, err := Retry(context.Background(), p, fn); !errors.Is(err, boom) || *calls != 1 {
		t.Fatalf("permanent: err %v calls %d", err, *calls)
	}
	p.Retryable = func(err error) bool { return err.Error() == "again" }
	fn, calls = flaky(2, errors.New("again"))
	if _, err := Retry(context.Background(), p, fn); err != nil || *calls != 3 {
		t.Fatalf("custom Retryable: err %v calls %d", err, *calls)
	}
}

func TestRetryStopsOnContext(t *testing.T) {
	p, _ := policy(10, 0)
	ctx, cancel := context.WithCancel(context.Background())
	boom := errors.New("boom")
	calls := 0
	_, err := Retry(ctx, p, func(context.Context) (int, error) {
		calls++
		if calls == 2 {
			cancel()
		}
		return 0, boom
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, boom) || calls != 2 {
		t.Fatalf("err %v calls %d", err, calls)
	}
	// The real sleeper also stops on the context.
	ctx, cancel = context.WithCancel(context.Background())
	p.Sleep = nil
	p.Config.Wait = Wait{3600}
	calls = 0
	_, err = Retry(ctx, p, func(context.Context) (int, error) {
		calls++
		cancel()
		return 0, boom
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("err %v calls %d", err, calls)
	}
}

func TestRetryMaxAttemptsBelowOne(t *testing.T) {
	fn, calls := flaky(1, errors.New("x"))
	if _, err := Retry(context.Background(), RetryPolicy{}, fn); !errors.Is(err, ErrRetriesExhausted) || *calls != 1 {
		t.Fatalf("err %v calls %d", err, *calls)
	}
}

func TestWaitFor(t *testing.T) {
	c := RetryConfig{Wait: Wait{1, 2, 4}}
	for retry, want := range map[int]time.Duration{0: 0, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 4 * time.Second} {
		if got := c.WaitFor(retry); got != want {
			t.Errorf("WaitFor(%d) = %v, want %v", retry, got, want)
		}
	}
	if got := (&RetryConfig{}).WaitFor(1); got != 0 {
		t.Errorf("empty wait: %v", got)
	}
	c.Jitter = 0.5
	seen := map[time.Duration]bool{}
	for range 200 {
		got := c.WaitFor(1)
		if got < time.Second || got > 1500*time.Millisecond {
			t.Fatalf("jittered wait %v outside [1s, 1.5s]", got)
		}
		seen[got] = true
	}
	if len(seen) < 10 {
		t.Fatalf("jitter produced only %d distinct waits", len(seen))
	}
}

func TestRetryStatusAndMethod(t *testing.T) {
	var c RetryConfig
	c.Defaults()
	for code, want := range map[int]bool{502: true, 503: true, 504: true, 500: false, 200: false, 429: false} {
		if c.RetryStatus(code) != want {
			t.Errorf("RetryStatus(%d) != %v", code, want)
		}
	}
	if !(&RetryConfig{}).RetryStatus(503) {
		t.Error("nil OnStatus should mean the defaults")
	}
	if (&RetryConfig{OnStatus: []int{}}).RetryStatus(503) {
		t.Error("an empty OnStatus list should retry no status")
	}
	c.OnStatus = []int{500}
	if !c.RetryStatus(500) || c.RetryStatus(503) {
		t.Error("custom OnStatus ignored")
	}
	for _, tc := range []struct {
		methods []string
		method  string
		key     bool
		want    bool
	}{
		{nil, "GET", false, true},
		{nil, "HEAD", false, true},
		{nil, "OPTIONS", false, true},
		{nil, "PUT", false, true},
		{nil, "DELETE", false, true},
		{nil, "POST", false, false},
		{nil, "PATCH", false, false},
		{nil, "POST", true, true},
		{nil, "get", false, false},
		{[]string{"POST"}, "POST", false, true},
		{[]string{"POST"}, "GET", false, false},
		{[]string{"GET"}, "PATCH", true, true},
	} {
		c := RetryConfig{Methods: tc.methods}
		if got := c.RetryMethod([]byte(tc.method), tc.key); got != tc.want {
			t.Errorf("methods %v: RetryMethod(%s, key=%v) = %v", tc.methods, tc.method, tc.key, got)
		}
	}
}

func TestClassifyAndKinds(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Kind
	}{
		{errors.New("x"), KindOther},
		{context.DeadlineExceeded, KindTimeout},
		{fmt.Errorf("wrapped: %w", ErrTimeout), KindTimeout},
		{os.ErrDeadlineExceeded, KindTimeout},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, KindConnection},
		{fmt.Errorf("x: %w", syscall.ECONNRESET), KindConnection},
		{net.ErrClosed, KindConnection},
		{fmt.Errorf("closed before answering: %w", io.EOF), KindConnection}, // the peer hung up
		{&net.DNSError{Err: "no such host"}, KindConnection},
		{&net.DNSError{Err: "timeout", IsTimeout: true}, KindTimeout},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	c := RetryConfig{Exceptions: []string{"TimeoutError"}}
	if !c.RetryKind(KindTimeout) || c.RetryKind(KindConnection) || c.RetryKind(KindOther) {
		t.Error("TimeoutError matching")
	}
	c.Exceptions = []string{"Exception"}
	if !c.RetryKind(KindOther) || !(&RetryConfig{}).RetryKind(KindOther) {
		t.Error("Exception matching")
	}
	b := BreakerConfig{ExpectedException: "ConnectionError"}
	if !b.CountsKind(KindConnection) || b.CountsKind(KindTimeout) {
		t.Error("breaker ConnectionError matching")
	}
	if KindConnection.String() != "ConnectionError" || KindOther.String() != "Exception" || KindTimeout.String() != "TimeoutError" {
		t.Error("Kind names")
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
}
