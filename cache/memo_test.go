package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/wait"
)

func newMemoCache(t *testing.T) (*Cache, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	c, err := New(testConfig(), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, clock
}

func TestMemoizeTTL(t *testing.T) {
	c, clock := newMemoCache(t)
	var calls atomic.Int64
	f := Memoize(c, "double", 10*time.Second, func(_ context.Context, k int) (int, error) {
		calls.Add(1)
		return 2 * k, nil
	})
	ctx := context.Background()
	for range 3 {
		if v, err := f(ctx, 21); v != 42 || err != nil {
			t.Fatal(v, err)
		}
		c.l1.Wait()
	}
	if calls.Load() != 1 {
		t.Fatalf("fn ran %d times", calls.Load())
	}
	clock.Advance(10 * time.Second)
	if v, _ := f(ctx, 21); v != 42 || calls.Load() != 2 {
		t.Fatalf("after ttl: %d, %d calls", v, calls.Load())
	}
	if v, _ := f(ctx, 1); v != 2 || calls.Load() != 3 {
		t.Fatal("other key")
	}
}

func TestMemoizeCollapses(t *testing.T) {
	c, _ := newMemoCache(t)
	var calls atomic.Int64
	release := make(chan struct{})
	m := newMemo(c, "slow", 0, func(_ context.Context, k string) (string, error) {
		calls.Add(1)
		<-release
		return "v:" + k, nil
	})
	f := m.get
	var wg sync.WaitGroup
	results := make([]string, 20)
	for i := range results {
		wg.Go(func() { results[i], _ = f(context.Background(), "k") })
	}
	wait.Until(t, "19 waiters", func() bool { return m.waiting.Load() == 19 })
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("fn ran %d times for 20 concurrent calls", calls.Load())
	}
	for _, r := range results {
		if r != "v:k" {
			t.Fatal(r)
		}
	}
}

func TestMemoizeErrorsNotCached(t *testing.T) {
	c, _ := newMemoCache(t)
	boom := errors.New("boom")
	var calls atomic.Int64
	f := Memoize(c, "err", 0, func(_ context.Context, k int) (int, error) {
		if calls.Add(1) == 1 {
			return 0, boom
		}
		return k, nil
	})
	if _, err := f(context.Background(), 1); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	c.l1.Wait()
	if v, err := f(context.Background(), 1); v != 1 || err != nil {
		t.Fatal(v, err)
	}
}

func TestMemoizeLeaderCancelled(t *testing.T) {
	// The running caller's ctx ends: a waiter with a live ctx runs fn itself.
	c, _ := newMemoCache(t)
	started := make(chan struct{})
	var calls atomic.Int64
	f := Memoize(c, "cancel", 0, func(ctx context.Context, k int) (int, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		}
		return k, nil
	})
	lctx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error)
	go func() { _, err := f(lctx, 5); leaderErr <- err }()
	<-started
	got := make(chan int)
	go func() { v, _ := f(context.Background(), 5); got <- v }()
	// The waiter may join before or after the cancel; either way it gets 5.
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if v := <-got; v != 5 {
		t.Fatal(v)
	}
}

func TestMemoizePurge(t *testing.T) {
	c, _ := newMemoCache(t)
	var calls atomic.Int64
	f := Memoize(c, "p", 0, func(_ context.Context, k int) (int64, error) { return calls.Add(1), nil })
	ctx := context.Background()
	f(ctx, 1)
	c.l1.Wait()
	if v, _ := f(ctx, 1); v != 1 {
		t.Fatal("not cached")
	}
	_ = c.PurgeRule("p")
	if v, _ := f(ctx, 1); v != 2 {
		t.Fatal("PurgeRule kept it")
	}
	c.l1.Wait()
	_ = c.PurgeAll()
	if v, _ := f(ctx, 1); v != 3 {
		t.Fatal("PurgeAll kept it")
	}
}

func TestMemoizePanic(t *testing.T) {
	c, _ := newMemoCache(t)
	f := Memoize(c, "panic", 0, func(_ context.Context, k int) (int, error) { panic("x") })
	defer func() {
		if recover() == nil {
			t.Fatal("panic swallowed")
		}
	}()
	f(context.Background(), 1)
}
