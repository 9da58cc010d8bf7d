package limiter

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// At the cap: a shard full of active keys sends new keys to one shared
// overflow bucket; the active keys keep their counters (a flood of new keys
// cannot reset them) and memory never grows past the cap. Once keys go idle
// they are evicted and new keys get their own counters again.
func TestMaxKeysOverflow(t *testing.T) {
	c := NewManualClock(t0)
	const maxKeys = 256 // one shard (shards hold at least 256 keys)
	l, err := New(Config{Quota: 1, Duration: 60}, WithClock(c), WithMaxKeys(maxKeys))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(l.local.shards); n != 1 {
		t.Fatalf("%d shards", n)
	}
	key := func(i int) []byte { return []byte("10.0.0." + strconv.Itoa(i)) }
	for i := range maxKeys {
		if !l.Allow(key(i)).Allowed {
			t.Fatal("fresh key rejected")
		}
	}
	// A flood of new keys: they share one bucket of quota 1.
	admitted := 0
	for i := maxKeys; i < 10*maxKeys; i++ {
		if l.Allow(key(i)).Allowed {
			admitted++
		}
	}
	if admitted != 1 {
		t.Errorf("overflow bucket admitted %d, want 1 (shared)", admitted)
	}
	for i := range maxKeys { // active keys were not reset by the flood
		if l.Allow(key(i)).Allowed {
			t.Fatalf("active key %d reset by the flood", i)
		}
	}
	s := l.Stats()
	if s.Keys != maxKeys || s.Overflowed != 9*maxKeys || s.Evictions != 0 {
		t.Errorf("stats %+v", s)
	}
	// Next window: every key is idle, so new keys are tracked again.
	c.Advance(time.Minute)
	for i := 10 * maxKeys; i < 11*maxKeys; i++ {
		if !l.Allow(key(i)).Allowed {
			t.Fatalf("new key %d rejected after idle keys expired", i)
		}
	}
	if s := l.Stats(); s.Keys != maxKeys || s.Evictions != maxKeys || s.Overflowed != 9*maxKeys {
		t.Errorf("after expiry: %+v", s)
	}
}

// Idle keys are evicted as new keys arrive (amortised on insert, no
// goroutine), so memory follows the active set, far under the cap.
func TestIdleEviction(t *testing.T) {
	c := NewManualClock(t0)
	l, err := New(Config{Quota: 5, Duration: 1, Algorithm: TokenBucket}, WithClock(c), WithMaxKeys(1<<16))
	if err != nil {
		t.Fatal(err)
	}
	for round := range 50 {
		for i := range 100 {
			l.Allow([]byte(fmt.Sprintf("r%d-k%d", round, i)))
		}
		c.Advance(time.Second) // every key of this round is full again: idle
	}
	if s := l.Stats(); s.Keys > 400 || s.Overflowed != 0 {
		t.Errorf("stats %+v: idle keys not evicted", s)
	}
}

// Many goroutines, keys inserted, evicted and tables rebuilt concurrently:
// in every window each key is admitted exactly quota times. Run with -race.
func TestConcurrentExact(t *testing.T) {
	c := NewManualClock(t0)
	const quota, keys, workers = 3, 120, 4
	l, err := New(Config{Quota: quota, Duration: 1}, WithClock(c), WithMaxKeys(256))
	if err != nil {
		t.Fatal(err)
	}
	for phase := range 20 {
		// Half the keys are last phase's (idle now, evictable while in
		// use), half are new (inserted while others are evicted).
		names := make([][]byte, keys)
		for i := range names {
			names[i] = []byte(fmt.Sprintf("p%d-k%d", phase-i%2, i))
		}
		var mu sync.Mutex
		got := make(map[string]int)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				local := make(map[string]int)
				for r := range 2 * quota {
					for i := range names {
						k := names[(i+w*7+r)%keys]
						if l.Allow(k).Allowed {
							local[string(k)]++
						}
					}
				}
				mu.Lock()
				for k, n := range local {
					got[k] += n
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		for _, k := range names {
			if got[string(k)] != quota {
				t.Fatalf("phase %d key %s: admitted %d, want %d", phase, k, got[string(k)], quota)
			}
		}
		if s := l.Stats(); s.Overflowed != 0 {
			t.Fatalf("unexpected overflow %+v", s)
		}
		c.Advance(time.Second)
	}
	if s := l.Stats(); s.Evictions == 0 {
		t.Errorf("no evictions exercised: %+v", s)
	}
}

// One hot key shared by all goroutines: exactly quota admitted.
func TestConcurrentSharedKey(t *testing.T) {
	for _, alg := range []string{FixedWindow, SlidingWindow, TokenBucket, LeakyBucket} {
		l, err := New(Config{Quota: 1000, Duration: 60, Algorithm: alg, BucketSize: 1000},
			WithClock(NewManualClock(t0)))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		n := 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				m := 0
				for range 500 {
					if l.Allow([]byte("hot")).Allowed {
						m++
					}
				}
				mu.Lock()
				n += m
				mu.Unlock()
			})
		}
		wg.Wait()
		want := 1000
		if alg == LeakyBucket {
			want = 1001
		}
		if n != want {
			t.Errorf("%s: %d admitted, want %d", alg, n, want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Quota: 0, Duration: 1}, "quota: must be a positive integer"},
		{Config{Quota: 1, Duration: 0}, "duration: must be a positive number"},
		{Config{Quota: 1, Duration: 0.0001}, "duration: must be between"},
		{Config{Quota: 1, Duration: 1, Algorithm: "nope"}, "algorithm: unknown"},
		{Config{Quota: maxSlidingQuota + 1, Duration: 1, Algorithm: SlidingWindow}, "quota: at most"},
		{Config{Quota: 1, Duration: 1, BucketSize: -1}, "bucket_size: must not be negative"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.cfg, err, tc.want)
		}
	}
	l, err := New(Config{Quota: 1, Duration: 1}) // empty algorithm: fixed_window
	if err != nil || l.Config().Algorithm != FixedWindow {
		t.Fatalf("%v %+v", err, l)
	}
}

// The sliding window over a long window keeps its packing exact; the window
// index field is wide when the quota is small.
func TestSlidingPacking(t *testing.T) {
	p, err := compile(Config{Quota: 100, Duration: 1, Algorithm: SlidingWindow})
	if err != nil {
		t.Fatal(err)
	}
	if p.cntBits != 7 {
		t.Fatalf("cntBits %d", p.cntBits)
	}
	p, _ = compile(Config{Quota: maxSlidingQuota, Duration: 1, Algorithm: SlidingWindow})
	if 64-2*p.cntBits < 16 {
		t.Fatalf("window index only %d bits", 64-2*p.cntBits)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{0, 1}, {time.Nanosecond, 1}, {time.Second, 1}, {time.Second + 1, 2}, {59500 * ms, 60}} {
		if got := (Decision{RetryAfter: tc.d}).RetryAfterSeconds(); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestHeaderValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"", Config{Quota: 10, Duration: 1}, `"default";q=10;w=1`},
		{`a"b\c`, Config{Quota: 10, Duration: 0.5}, `"a\"b\\c";q=10;w=1`},
		{"é\x01", Config{Quota: 3, Duration: 90.5}, `"___";q=3;w=91`},
	} {
		if got := string(AppendPolicy(nil, tc.name, tc.cfg)); got != tc.want {
			t.Errorf("AppendPolicy(%q) = %s, want %s", tc.name, got, tc.want)
		}
	}
	d := Decision{Remaining: 7, Reset: 1500 * ms}
	if got := string(d.AppendRateLimit([]byte("x: "), "r")); got != `x: "r";r=7;t=2` {
		t.Errorf("AppendRateLimit = %s", got)
	}
}

func TestRegistry(t *testing.T) {
	c := NewManualClock(t0)
	r := NewRegistry(WithClock(c))
	defer r.Close()
	cfg := Config{Quota: 1, Duration: 60}
	a, err := r.Get("rule-a", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name() != "rule-a" || !a.Allow([]byte("k")).Allowed {
		t.Fatal("first request")
	}
	// Reload with the same limit: same limiter, the counter survives.
	cfg2 := Config{Quota: 1, Duration: 60, Algorithm: FixedWindow, BucketSize: 1}
	if a2, _ := r.Get("rule-a", cfg2); a2 != a || a2.Allow([]byte("k")).Allowed {
		t.Fatal("unchanged limit did not keep its counter")
	}
	// Changed limit: a new limiter.
	if a3, _ := r.Get("rule-a", Config{Quota: 2, Duration: 60}); a3 == a || !a3.Allow([]byte("k")).Allowed {
		t.Fatal("changed limit kept the old limiter")
	}
	if _, err := r.Get("bad", Config{}); err == nil {
		t.Fatal("invalid config accepted")
	}
	r.Get("rule-b", cfg)
	r.Retain([]string{"rule-b"})
	if r.Len() != 1 {
		t.Fatalf("Retain left %d", r.Len())
	}
	if b, _ := r.Get("rule-b", cfg); b.Name() != "rule-b" {
		t.Fatal("name")
	}
}

func TestCoarseClock(t *testing.T) {
	c := NewCoarseClock(0)
	if c.Now() < t0.UnixNano() {
		t.Fatal("coarse clock reads before 2023")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep on a cancelled ctx: %v", err)
	}
	if err := c.Sleep(context.Background(), time.Microsecond); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close()
	if err := (SystemClock{}).Sleep(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}

// Without WithClock a registry owns a CoarseClock; Close stops it (goleak
// checks the goroutine is gone).
func TestRegistryOwnsClock(t *testing.T) {
	r := NewRegistry()
	l, err := r.Get("a", Config{Quota: 1, Duration: 60})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.clock.(*CoarseClock); !ok || !l.Allow([]byte("k")).Allowed {
		t.Fatalf("clock %T", l.clock)
	}
	r.Close()
	r.Close()
}
