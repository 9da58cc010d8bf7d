package resilience

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestTimeoutReturnsResult(t *testing.T) {
	v, err := Timeout(context.Background(), time.Hour, func(context.Context) (string, error) { return "ok", nil })
	if v != "ok" || err != nil {
		t.Fatalf("%q %v", v, err)
	}
	boom := errors.New("boom")
	if _, err := Timeout(context.Background(), time.Hour, func(context.Context) (int, error) { return 0, boom }); err != boom {
		t.Fatalf("err %v", err)
	}
}

func TestTimeoutFires(t *testing.T) {
	// fn honours its context.
	_, err := Timeout(context.Background(), time.Millisecond, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	// fn ignores its context: Timeout returns anyway.
	release := make(chan struct{})
	finished := make(chan struct{})
	_, err = Timeout(context.Background(), time.Millisecond, func(context.Context) (int, error) {
		defer close(finished)
		<-release
		return 1, nil
	})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v", err)
	}
	close(release)
	<-finished
}

func TestTimeoutParentCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Timeout(ctx, time.Hour, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v", err)
	}
}

func TestTimeit(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	boom := errors.New("boom")
	v, err := Timeit(context.Background(), "fetch", 0, logger, func(context.Context) (int, error) { return 4, boom })
	if v != 4 || err != boom {
		t.Fatalf("%d %v", v, err)
	}
	out := buf.String()
	for _, want := range []string{"slow call", "name=fetch", "elapsed=", "error=boom", "level=WARN"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
	buf.Reset()
	if _, err := Timeit(context.Background(), "fast", time.Hour, logger, func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("fast call logged: %q", buf.String())
	}
}
