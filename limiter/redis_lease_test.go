package limiter

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/redistest"
)

// leasedStore is a store with leasing sized for two instances and a
// timeout generous enough for -race; Close runs when the test ends.
func leasedStore(t *testing.T, srv *redistest.Server, failOpen bool) *RedisStore {
	t.Helper()
	return redisStore(t, srv, func(o *RedisOptions) {
		o.FailOpen = failOpen
		o.Timeout = 2 * time.Second
		o.LeaseInstances = 2
	})
}

// redisStore is a store on srv with the default options, changed by set
// when given; it is closed when the test ends.
func redisStore(tb testing.TB, srv *redistest.Server, set func(*RedisOptions)) *RedisStore {
	tb.Helper()
	o := RedisOptions{}
	o.Defaults()
	if set != nil {
		set(&o)
	}
	s := NewRedisStore(srv.Client(), o)
	tb.Cleanup(s.Close)
	return s
}

// drain sends requests for key from 4 goroutines per limiter, each going
// on until its limiter refuses, and returns how many were admitted.
func drain(t *testing.T, ls []*Limiter, key []byte) int64 {
	t.Helper()
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := range 4 * len(ls) {
		wg.Go(func() {
			for {
				d := ls[g%len(ls)].Allow(key)
				if d.Fallback {
					t.Error("fallback decision")
					return
				}
				if !d.Allowed {
					return
				}
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	return admitted.Load()
}

// Two instances with leasing on share one Redis: whatever the timeline,
// when demand goes on until both refuse they admit exactly what one exact
// (local, unshared) limiter admits — never more (tokens are debited in
// Redis before they are spent), and no fewer (leases get spent).
func TestRedisLeaseTwoInstancesExact(t *testing.T) {
	srv := redistest.Start(t)
	for _, alg := range []string{FixedWindow, SlidingWindow, TokenBucket} {
		t.Run(alg, func(t *testing.T) {
			c := NewManualClock(t0)
			cfg := Config{Quota: 1000, Duration: 10, Algorithm: alg}
			var ls []*Limiter
			var stores []*RedisStore
			for range 2 {
				s := leasedStore(t, srv, true)
				l, err := New(cfg, WithName("lease2"), WithClock(c), WithStore(s))
				if err != nil {
					t.Fatal(err)
				}
				if l.remote.(*redisBackend).leases == nil {
					t.Fatal("leasing is off")
				}
				ls, stores = append(ls, l), append(stores, s)
			}
			ref := localFactory(t, "ref", cfg, c)
			k := []byte("k")
			for _, step := range []time.Duration{0, 2500 * ms, 7500 * ms, 2500 * ms, 2500 * ms, 5 * time.Second, 20 * time.Second} {
				c.Advance(step)
				got := drain(t, ls, k)
				exp := 0
				for ref.Allow(k).Allowed {
					exp++
				}
				if got != int64(exp) {
					t.Errorf("after +%v: two leasing instances admitted %d, an exact limiter %d", step, got, exp)
				}
			}
			calls := stores[0].Stats().Calls + stores[1].Stats().Calls
			if calls > 400 {
				t.Errorf("%d Redis calls: leasing is not batching", calls)
			}
			t.Logf("%d Redis calls", calls)
		})
	}
}

// Quotas too small for a lease of more than one token (Q/(4·instances) ≤ 1)
// stay one exact round trip per decision, as do leaky buckets.
func TestRedisLeaseSmallQuotaPerRequest(t *testing.T) {
	srv := redistest.Start(t)
	s := redisStore(t, srv, nil)
	c := NewManualClock(t0)
	for _, cfg := range []Config{
		{Quota: 31, Duration: 60, Algorithm: FixedWindow},
		{Quota: 31, Duration: 60, Algorithm: SlidingWindow},
		{Quota: 1000, Duration: 60, Algorithm: TokenBucket, BucketSize: 31},
		{Quota: 1000, Duration: 60, Algorithm: LeakyBucket},
		{Quota: 1000, Duration: 0.05, Algorithm: FixedWindow}, // window too short
	} {
		l, err := New(cfg, WithName("small"), WithClock(c), WithStore(s))
		if err != nil {
			t.Fatal(err)
		}
		if l.remote.(*redisBackend).leases != nil {
			t.Errorf("%+v: leasing on", cfg)
		}
	}
	l, _ := New(Config{Quota: 16, Duration: 60}, WithName("small16"), WithClock(c), WithStore(s))
	before := s.Stats().Calls
	n := 0
	for range 20 {
		if l.Allow([]byte("k")).Allowed {
			n++
		}
	}
	if calls := s.Stats().Calls - before; n != 16 || calls != 17 {
		t.Errorf("quota 16: %d admitted with %d calls, want 16 with 17 (then cached denials)", n, calls)
	}
	// LeaseMax 1 turns leasing off for every limit.
	off := redisStore(t, srv, func(o *RedisOptions) { o.LeaseMax = 1 })
	l, _ = New(Config{Quota: 1 << 20, Duration: 60}, WithName("off"), WithClock(c), WithStore(off))
	if l.remote.(*redisBackend).leases != nil {
		t.Error("LeaseMax 1: leasing on")
	}
}

// Leased decisions: the cap, the adaptive size, Remaining from the lease
// plus Redis's count, Reset from Redis.
func TestRedisLeaseDecisions(t *testing.T) {
	srv := redistest.Start(t)
	s := redisStore(t, srv, nil)
	c := NewManualClock(t0)
	l, err := New(Config{Quota: 1600, Duration: 60}, WithName("dec"), WithClock(c), WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	b := l.remote.(*redisBackend)
	if b.leaseCap != 100 {
		t.Fatalf("lease cap %d, want 1600/16", b.leaseCap)
	}
	k := []byte("k")
	// The first decision knows no rate: one token, one call.
	want(t, "first", l.Allow(k), allowed(1600, 1599, time.Minute))
	// The second comes at once: the full cap is leased, one token spent.
	want(t, "second", l.Allow(k), allowed(1600, 1599-1, time.Minute))
	if got := s.Stats().Calls; got != 2 {
		t.Fatalf("%d calls", got)
	}
	c.Advance(time.Second)
	// From the lease: 98 left here, 1499 left in Redis.
	want(t, "leased", l.Allow(k), allowed(1600, 98+1499, 59*time.Second))
	if got := s.Stats().Calls; got != 2 {
		t.Fatalf("%d calls: the leased decision asked Redis", got)
	}
}

// Redis killed while a lease is held: the leased tokens (already counted in
// Redis) are still spent; after them decisions follow FailOpen; after a
// restart they come from Redis again.
func TestRedisLeaseFailover(t *testing.T) {
	for _, failOpen := range []bool{true, false} {
		srv := redistest.Start(t)
		s := leasedStore(t, srv, failOpen)
		s.o.Timeout = 200 * ms
		c := NewManualClock(t0)
		l, err := New(Config{Quota: 1000, Duration: 60, Algorithm: TokenBucket}, WithName("kill"),
			WithClock(c), WithStore(s))
		if err != nil {
			t.Fatal(err)
		}
		k := []byte("k")
		l.Allow(k)
		l.Allow(k) // leases the cap, 1000/8 = 125, and spends one
		srv.Stop()
		leased, fell := 0, 0
		for range 300 {
			d := l.Allow(k)
			switch {
			case !d.Fallback && d.Allowed:
				leased++
			case d.Fallback && d.Allowed == failOpen:
				fell++
			default:
				t.Fatalf("fail_open=%v: %+v", failOpen, d)
			}
		}
		if leased != 124 || fell != 300-124 {
			t.Errorf("fail_open=%v: %d from the lease, %d by the failure policy; want 124, 176", failOpen, leased, fell)
		}
		if st := s.Stats(); st.Errors == 0 {
			t.Errorf("fail_open=%v: no error counted: %+v", failOpen, st)
		}
		srv.Restart()
		ok := false
		for range 20 {
			c.Advance(RedisBackoff)
			if d := l.Allow(k); !d.Fallback {
				ok = d.Allowed
				break
			}
		}
		if !ok {
			t.Errorf("fail_open=%v: no recovery after restart", failOpen)
		}
	}
}

// A registry closes its store: no refill goroutine outlives it (goleak in
// TestMain checks the whole package).
func TestRedisLeaseRegistryClose(t *testing.T) {
	srv := redistest.Start(t)
	s := redisStore(t, srv, nil)
	r := NewRegistry(WithStore(s))
	l, err := r.Get("r", Config{Quota: 1 << 20, Duration: 60, Algorithm: SlidingWindow})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 2000 {
				if !l.Allow([]byte("k")).Allowed {
					t.Error("rejected")
					return
				}
			}
		})
	}
	wg.Wait()
	r.Close()
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if !closed {
		t.Fatal("registry did not close its store")
	}
	// Still usable after Close, synchronously.
	if d := l.Allow([]byte("k")); !d.Allowed || d.Fallback {
		t.Fatalf("after Close: %+v", d)
	}
}

// A sliding-window lease not spent by the end of its window is handed back
// on the instance's next call, so the previous window weighs only what was
// admitted. Timeline (Q = 1000, D = 10 s): at 0 A admits 2 and holds 124
// leased tokens, B admits the other 874; at 15 s (half way into the next
// window) the estimate is 876·0.5 = 438, so 562 more are admitted, not 500.
func TestRedisLeaseSlidingHandBack(t *testing.T) {
	srv := redistest.Start(t)
	c := NewManualClock(t0)
	cfg := Config{Quota: 1000, Duration: 10, Algorithm: SlidingWindow}
	var ls []*Limiter
	for range 2 {
		l, err := New(cfg, WithName("back"), WithClock(c), WithStore(leasedStore(t, srv, true)))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	k := []byte("k")
	ls[0].Allow(k)
	ls[0].Allow(k)
	if got := drain(t, ls[1:], k); got != 874 {
		t.Fatalf("B admitted %d, want 874", got)
	}
	c.Advance(15 * time.Second)
	if got := drain(t, ls, k); got != 562 {
		t.Errorf("next window: %d admitted, want 562 (A's unused 124 handed back)", got)
	}
}

// A token-bucket lease must not outlive its debit: once the bucket, as Redis
// sees it, has refilled, tokens still held by an idle instance would add to
// a full bucket. Leases end at the TAT before their grant, so the burst
// after a refill never exceeds the bucket.
func TestRedisLeaseTokenBucketHeldTokensExpire(t *testing.T) {
	srv := redistest.Start(t)
	c := NewManualClock(t0)
	cfg := Config{Quota: 1000, Duration: 10, Algorithm: TokenBucket}
	mk := func() *Limiter {
		l, err := New(cfg, WithName("held"), WithClock(c), WithStore(leasedStore(t, srv, true)))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := mk(), mk()
	k := []byte("k")
	for range 900 { // A runs the bucket down, leasing ahead of its demand
		a.Allow(k)
	}
	c.Advance(9900 * ms) // the bucket is full again in Redis's view
	if got := drain(t, []*Limiter{b}, k) + drain(t, []*Limiter{a}, k); got > 1000 {
		t.Fatalf("%d admitted at one instant after a refill; the bucket holds 1000", got)
	}
}
