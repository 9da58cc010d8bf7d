package limiter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/redistest"
)

// The contract suite: the same cases, with the same exact expectations, run
// against the local store and the Redis store. Every time is injected (a
// ManualClock starting on a minute boundary), so no case sleeps.

var t0 = time.Unix(1_700_000_040, 0) // a multiple of 60 s

// factory builds a limiter on the store under test.
type factory func(t *testing.T, name string, cfg Config, clock Clock) *Limiter

func localFactory(t *testing.T, name string, cfg Config, clock Clock) *Limiter {
	t.Helper()
	l, err := New(cfg, WithName(name), WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestContractLocal(t *testing.T) { runContract(t, localFactory) }

func TestContractRedis(t *testing.T) {
	srv := redistest.Start(t)
	// The contract is about decisions: a loaded machine must not make them fall back.
	store := redisStore(t, srv, func(o *RedisOptions) { o.Timeout = 5 * time.Second })
	runContract(t, func(t *testing.T, name string, cfg Config, clock Clock) *Limiter {
		t.Helper()
		l, err := New(cfg, WithName(name), WithClock(clock), WithStore(store))
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
	if s := store.Stats(); s.Errors != 0 || s.FallbackAllowed != 0 || s.Calls == 0 {
		t.Errorf("redis stats %+v: want calls and no errors", s)
	}
}

func runContract(t *testing.T, f factory) {
	t.Run("FixedWindowEdges", func(t *testing.T) { contractFixed(t, f) })
	t.Run("SlidingWindow", func(t *testing.T) { contractSliding(t, f) })
	t.Run("TokenBucketBurstRefill", func(t *testing.T) { contractToken(t, f) })
	t.Run("LeakyBucketDelay", func(t *testing.T) { contractLeaky(t, f) })
	t.Run("KeyIsolation", func(t *testing.T) { contractKeys(t, f) })
	t.Run("NamesNeverShare", func(t *testing.T) { contractNames(t, f) })
	t.Run("Headers", func(t *testing.T) { contractHeaders(t, f) })
	t.Run("Wait", func(t *testing.T) { contractWait(t, f) })
}

// want checks one decision field by field.
func want(t *testing.T, step string, got, exp Decision) {
	t.Helper()
	if got != exp {
		t.Fatalf("%s:\n got %+v\nwant %+v", step, got, exp)
	}
}

func allowed(limit, remaining int, reset time.Duration) Decision {
	return Decision{Allowed: true, Limit: limit, Remaining: remaining, Reset: reset}
}

func rejected(limit int, reset, retry time.Duration) Decision {
	return Decision{Limit: limit, Reset: reset, RetryAfter: retry}
}

const ms = time.Millisecond

// fixed_window, quota 3 per 10 s. Timeline (s): 0 → 3 admitted, 4th
// rejected until 10; at 9.999 still rejected (retry 1 ms); at 10 a new
// window. The edge lets 3 at 9.999 plus 3 at 10.000: 2Q in 1 ms, the
// documented weakness of fixed windows.
func contractFixed(t *testing.T, f factory) {
	c := NewManualClock(t0)
	l := f(t, t.Name(), Config{Quota: 3, Duration: 10, Algorithm: FixedWindow}, c)
	k := []byte("client")
	for i := range 3 {
		want(t, "burst", l.Allow(k), allowed(3, 2-i, 10*time.Second))
	}
	want(t, "over quota", l.Allow(k), rejected(3, 10*time.Second, 10*time.Second))
	c.Advance(9999 * ms)
	want(t, "1ms before the edge", l.Allow(k), rejected(3, ms, ms))
	c.Advance(ms)
	want(t, "new window", l.Allow(k), allowed(3, 2, 10*time.Second))

	// 2Q across the edge: a fresh key takes 3 at 19.999 s and 3 at 20 s.
	k2 := []byte("edge")
	c.Advance(9999 * ms)
	for range 3 {
		if !l.Allow(k2).Allowed {
			t.Fatal("end of window: want admitted")
		}
	}
	c.Advance(ms)
	for range 3 {
		if !l.Allow(k2).Allowed {
			t.Fatal("start of next window: want admitted")
		}
	}
	if l.Allow(k2).Allowed {
		t.Fatal("4th in the window admitted")
	}
}

// sliding_window (weighted two-window counter), quota 4 per 10 s.
// Timeline (s): 0 → 4 admitted, 5th rejected; retry = 10 (to the next
// window) + 2.5 (until 4·(1−x) + 1 ≤ 4). At 10 — where a fixed window
// would reset — the previous window still weighs 4·1.0: rejected. At 12.5
// the weight is 0.75 → est 3: one admitted; at 15 (weight 0.5 → 2+1): one.
func contractSliding(t *testing.T, f factory) {
	c := NewManualClock(t0)
	l := f(t, t.Name(), Config{Quota: 4, Duration: 10, Algorithm: SlidingWindow}, c)
	k := []byte("client")
	for i := range 4 {
		want(t, "burst", l.Allow(k), allowed(4, 3-i, 20*time.Second))
	}
	want(t, "over quota", l.Allow(k), rejected(4, 20*time.Second, 12500*ms))
	c.Advance(10 * time.Second)
	want(t, "window edge is not a reset", l.Allow(k), rejected(4, 10*time.Second, 2500*ms))
	c.Advance(2500 * ms)
	want(t, "weight 0.75", l.Allow(k), allowed(4, 0, 17500*ms))
	want(t, "weight 0.75, full", l.Allow(k), rejected(4, 17500*ms, 2500*ms))
	c.Advance(2500 * ms)
	want(t, "weight 0.5", l.Allow(k), allowed(4, 0, 15*time.Second))
	// Two idle windows later (35 s: 5 s into a window) all has aged out.
	c.Advance(20 * time.Second)
	want(t, "aged out", l.Allow(k), allowed(4, 3, 15*time.Second))
}

// token_bucket, 10 per second (one token per 100 ms), bucket_size 5.
// Timeline (ms): 0 → 5 admitted (the burst), 6th rejected (retry 100);
// 100 → 1 token; 350 → 2.5 tokens: 2 admitted and the half token is kept,
// so the next one is due at 400 (retry 50). Idle 10 s refills to 5, not 100.
func contractToken(t *testing.T, f factory) {
	c := NewManualClock(t0)
	l := f(t, t.Name(), Config{Quota: 10, Duration: 1, Algorithm: TokenBucket, BucketSize: 5}, c)
	k := []byte("client")
	for i := range 5 {
		want(t, "burst", l.Allow(k), allowed(10, 4-i, time.Duration(i+1)*100*ms))
	}
	want(t, "empty", l.Allow(k), rejected(10, 500*ms, 100*ms))
	c.Advance(100 * ms)
	want(t, "one token", l.Allow(k), allowed(10, 0, 500*ms))
	want(t, "empty again", l.Allow(k), rejected(10, 500*ms, 100*ms))
	c.Advance(250 * ms)
	want(t, "2.5 tokens: 1st", l.Allow(k), allowed(10, 1, 350*ms))
	want(t, "2.5 tokens: 2nd", l.Allow(k), allowed(10, 0, 450*ms))
	want(t, "half token kept", l.Allow(k), rejected(10, 450*ms, 50*ms))
	c.Advance(50 * ms)
	want(t, "fraction completed", l.Allow(k), allowed(10, 0, 500*ms))
	c.Advance(10 * time.Second)
	n := 0
	for l.Allow(k).Allowed {
		n++
	}
	if n != 5 {
		t.Fatalf("after a long idle: %d admitted, want the capacity 5", n)
	}
}

// leaky_bucket, 10 per second (one leaves every 100 ms), bucket_size 3.
// Timeline (ms): at 0 the 1st goes at once, the next 3 wait 100, 200, 300;
// the 5th is rejected at once (retry 100). At 100 one has left: a new one
// waits 300. A caller that can wait only 150 ms is rejected instead of
// queued. After 1 s the queue is empty.
func contractLeaky(t *testing.T, f factory) {
	c := NewManualClock(t0)
	l := f(t, t.Name(), Config{Quota: 10, Duration: 1, Algorithm: LeakyBucket, BucketSize: 3}, c)
	k := []byte("client")
	for i := range 4 {
		d := allowed(10, 3-i, time.Duration(i+1)*100*ms)
		d.Delay = time.Duration(i) * 100 * ms
		want(t, "queue", l.Allow(k), d)
	}
	want(t, "queue full", l.Allow(k), rejected(10, 400*ms, 100*ms))
	c.Advance(100 * ms)
	want(t, "within 150ms", l.AllowWithin(k, 150*ms), rejected(10, 300*ms, 150*ms))
	d := allowed(10, 0, 400*ms)
	d.Delay = 300 * ms
	want(t, "one left", l.Allow(k), d)
	c.Advance(time.Second)
	want(t, "drained", l.Allow(k), allowed(10, 3, 100*ms))
}

func contractKeys(t *testing.T, f factory) {
	c := NewManualClock(t0)
	for _, alg := range []string{FixedWindow, SlidingWindow, TokenBucket, LeakyBucket} {
		l := f(t, t.Name()+alg, Config{Quota: 2, Duration: 60, Algorithm: alg, BucketSize: 2}, c)
		a, b := []byte("10.0.0.1"), []byte("10.0.0.2")
		for l.Allow(a).Allowed {
		}
		if !l.Allow(b).Allowed {
			t.Errorf("%s: key b limited by key a", alg)
		}
		if l.Allow(a).Allowed {
			t.Errorf("%s: key a admitted over quota", alg)
		}
	}
}

func contractNames(t *testing.T, f factory) {
	c := NewManualClock(t0)
	cfg := Config{Quota: 1, Duration: 60, Algorithm: FixedWindow}
	r1 := f(t, t.Name()+"/r1", cfg, c)
	r2 := f(t, t.Name()+"/r2", cfg, c)
	k := []byte("same-key")
	if !r1.Allow(k).Allowed || r1.Allow(k).Allowed {
		t.Fatal("r1: want one admitted then rejected")
	}
	if !r2.Allow(k).Allowed {
		t.Fatal("r2 shares r1's counter")
	}
	// The same name and algorithm do share state (that is how instances
	// agree); a different algorithm under the same name does not collide.
	r3 := f(t, t.Name()+"/r1", Config{Quota: 1, Duration: 60, Algorithm: TokenBucket}, c)
	if !r3.Allow(k).Allowed {
		t.Fatal("token bucket under r1's name saw fixed-window state")
	}
}

func contractHeaders(t *testing.T, f factory) {
	c := NewManualClock(t0)
	cfg := Config{Quota: 2, Duration: 60, Algorithm: FixedWindow}
	l := f(t, "api", cfg, c)
	k := []byte(t.Name())
	c.Advance(15500 * ms)
	d := l.Allow(k)
	if got := string(l.AppendRateLimit(nil, d)); got != `"api";r=1;t=45` {
		t.Errorf("RateLimit = %s", got)
	}
	if got := string(l.AppendPolicy(nil)); got != `"api";q=2;w=60` {
		t.Errorf("RateLimit-Policy = %s", got)
	}
	l.Allow(k)
	d = l.Allow(k)
	if d.Allowed || d.RetryAfterSeconds() != 45 || d.Remaining != 0 || d.RetryAfter != 44500*ms {
		t.Errorf("rejection %+v, Retry-After %d", d, d.RetryAfterSeconds())
	}
	if got := string(l.AppendRateLimit(nil, d)); got != `"api";r=0;t=45` {
		t.Errorf("RateLimit when rejected = %s", got)
	}
}

func contractWait(t *testing.T, f factory) {
	c := NewManualClock(t0)
	l := f(t, t.Name(), Config{Quota: 10, Duration: 1, Algorithm: LeakyBucket, BucketSize: 1}, c)
	k := []byte("job")
	ctx := context.Background()
	if err := l.Wait(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(ctx, k); err != nil { // queued: ManualClock.Sleep advances 100 ms
		t.Fatal(err)
	}
	if got := c.Now() - t0.UnixNano(); got != int64(100*ms) {
		t.Fatalf("waited %v, want 100ms", time.Duration(got))
	}
	l.Allow(k) // takes the queue slot
	err := l.Wait(ctx, k)
	var le *LimitError
	if !errors.Is(err, ErrLimited) || !errors.As(err, &le) || le.Decision.RetryAfter != 100*ms {
		t.Fatalf("full queue: %v", err)
	}
	if !strings.Contains(err.Error(), "retry after 1s") {
		t.Errorf("error text %q", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.Wait(cctx, k); !errors.Is(err, ErrLimited) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
