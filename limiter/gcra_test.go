package limiter

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The busy-key path of the token and leaky buckets (gcra.go): one atomic add
// instead of a compare-and-swap loop while the key's state is ahead of now.

// refGCRA is the sequential GCRA every decision must match.
type refGCRA struct {
	tat, T, tau int64
	quota       int
	leaky       bool
}

func newRef(l *Limiter) *refGCRA {
	return &refGCRA{T: l.p.interval, tau: l.p.tau, quota: int(l.p.quota), leaky: l.p.alg == algLeaky}
}

func (r *refGCRA) allow(now, maxWait int64) Decision {
	tau := r.tau
	if r.leaky && maxWait >= 0 && r.T+maxWait < tau {
		tau = r.T + maxWait
	}
	tat := max(r.tat, now)
	next := tat + r.T
	diff := next - now
	if diff > tau {
		return Decision{Limit: r.quota, Reset: time.Duration(tat - now), RetryAfter: time.Duration(diff - tau)}
	}
	r.tat = next
	d := Decision{Allowed: true, Limit: r.quota, Remaining: int((r.tau - diff) / r.T), Reset: time.Duration(diff)}
	if r.leaky {
		d.Delay = time.Duration(tat - now)
	}
	return d
}

func findEntry(l *Limiter, key []byte) *entry {
	k, h := keyOf(l.local.seed, key)
	return l.local.shards[h>>l.local.shift].tab.Load().find(k, h)
}

// Every decision, on the add path or not, is the sequential GCRA's; the path
// switches on with room and off near the limit, where rejections only read.
func TestGCRABusyKeySequential(t *testing.T) {
	for _, alg := range []string{TokenBucket, LeakyBucket} {
		c := NewManualClock(t0)
		l, err := New(Config{Quota: 100, Duration: 1, Algorithm: alg, BucketSize: 60}, WithClock(c))
		if err != nil {
			t.Fatal(err)
		}
		ref := newRef(l)
		key := []byte("hot")
		rng := rand.New(rand.NewPCG(1, 2))
		busy, offRejects := 0, 0
		for i := range 20000 {
			// Mostly bursts (the key fills up), sometimes a pause.
			switch r := rng.IntN(100); {
			case r < 3:
				c.Advance(time.Duration(rng.Int64N(80 * ref.T)))
			case r < 40:
				c.Advance(time.Duration(rng.Int64N(3 * ref.T)))
			}
			now := c.Now()
			maxWait := int64(-1)
			if alg == LeakyBucket && rng.IntN(4) == 0 {
				maxWait = rng.Int64N(ref.tau)
			}
			e := findEntry(l, key)
			var before uint64
			on := false
			if e != nil {
				before = e.word().Load()
				on = now < e.ahead.Load()
			}
			want := ref.allow(now, maxWait)
			got := l.AllowWithin(key, time.Duration(maxWait))
			if got != want {
				t.Fatalf("%s request %d: got %+v, want %+v", alg, i, got, want)
			}
			switch {
			case on && maxWait < 0:
				busy++
				if !got.Allowed {
					t.Fatalf("%s request %d: the busy-key path rejected: %+v", alg, i, got)
				}
			case !got.Allowed && e != nil:
				offRejects++
				if e.word().Load() != before {
					t.Fatalf("%s request %d: a rejection wrote the state", alg, i)
				}
			}
		}
		if busy < 1000 || offRejects < 100 {
			t.Errorf("%s: paths not exercised: %d busy-key decisions, %d read-only rejections", alg, busy, offRejects)
		}
	}
}

// An entry evicted while a request with an older clock reading still holds
// it: the request's add lands on the dead mark, which survives the add, so
// it and every later reader retry their lookup; the fresh entry decides.
func TestGCRABusyKeyEvicted(t *testing.T) {
	for _, alg := range []string{TokenBucket, LeakyBucket} {
		c := NewManualClock(t0)
		l, err := New(Config{Quota: 100, Duration: 1, Algorithm: alg}, WithClock(c))
		if err != nil {
			t.Fatal(err)
		}
		key := []byte("hot")
		stale := c.Now()
		for range 3 {
			l.Allow(key)
		}
		e := findEntry(l, key)
		if a := e.ahead.Load(); stale >= a {
			t.Fatalf("%s: busy-key path off (ahead %d, now %d)", alg, a, stale)
		}
		// Eviction at a later time, when the key is idle.
		if !l.local.tryEvict(e, int64(e.word().Load())) {
			t.Fatalf("%s: not evicted", alg)
		}
		var d Decision
		for range 3 { // the add path (stale < ahead), three times over
			if l.p.decideGCRA(&d, e, stale, -1) {
				t.Fatalf("%s: decided on an evicted entry: %+v", alg, d)
			}
		}
		if int64(e.word().Load()) >= 0 {
			t.Fatalf("%s: dead mark lost: %#x", alg, e.word().Load())
		}
		if l.p.decideGCRA(&d, e, e.ahead.Load(), -1) { // the compare-and-swap path
			t.Fatalf("%s: decided on an evicted entry: %+v", alg, d)
		}
		if e.ahead.Load() <= stale {
			t.Fatal("test no longer reaches the add path")
		}
	}
}

// Many goroutines on one key while other goroutines insert keys into the
// same full shard (evicting the hot key whenever it is idle): in every
// phase exactly the sequential GCRA's count is admitted and each admitted
// request gets a slot (and leaky turn) of its own. Run with -race.
func TestGCRABusyKeyConcurrentExact(t *testing.T) {
	for _, alg := range []string{TokenBucket, LeakyBucket} {
		c := NewManualClock(t0)
		l, err := New(Config{Quota: 1000, Duration: 1, Algorithm: alg, BucketSize: 100},
			WithClock(c), WithMaxKeys(256))
		if err != nil {
			t.Fatal(err)
		}
		if len(l.local.shards) != 1 {
			t.Fatal("want one shard")
		}
		ref := newRef(l)
		key := []byte("hot")
		// Steps of at least T: the previous phase's inserted keys are idle.
		steps := []int64{2, 7, 40, 1, 150, 60, 3, 101, 1, 33, 500, 5}
		const workers, perWorker = 8, 30
		busy := 0
		var last *entry
		for phase := range 3 * len(steps) {
			c.Advance(time.Duration(steps[phase%len(steps)] * ref.T))
			now := c.Now()
			var a0 int64
			if e := findEntry(l, key); e != nil {
				a0 = e.ahead.Load()
				last = e
			}
			resets := make([][]time.Duration, workers)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for range perWorker {
						if d := l.Allow(key); d.Allowed {
							if alg == LeakyBucket && d.Delay != d.Reset-time.Duration(ref.T) {
								t.Errorf("phase %d: delay %v with reset %v", phase, d.Delay, d.Reset)
							}
							resets[w] = append(resets[w], d.Reset)
						}
					}
				})
			}
			for g := range 2 { // eviction pressure: new keys into the full shard
				wg.Go(func() {
					for i := range 75 {
						l.Allow([]byte(fmt.Sprintf("p%d-g%d-%d", phase, g, i)))
					}
				})
			}
			wg.Wait()
			// Switched on and off (ahead = ^a) during the phase.
			if e := findEntry(l, key); e != nil && e == last && e.ahead.Load() != a0 && e.ahead.Load() < 0 {
				busy++
			}
			// The sequential GCRA at now, with more demand than room.
			tat := max(ref.tat, now)
			var want []time.Duration
			for r := ref.allow(now, -1); r.Allowed; r = ref.allow(now, -1) {
				want = append(want, r.Reset)
			}
			if len(want) >= workers*perWorker {
				t.Fatal("test needs more demand than room")
			}
			got := slices.Concat(resets...)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%s phase %d (tat−now %v): admitted %d with slots %v, want %d with %v",
					alg, phase, time.Duration(tat-now), len(got), got, len(want), want)
			}
		}
		if s := l.Stats(); busy == 0 || s.Evictions == 0 || s.Overflowed != 0 {
			t.Errorf("%s: busy-key phases %d, %+v: not exercised", alg, busy, s)
		}
	}
}

// Goroutines whose clock readings are often stale (a preempted request), a
// clock that sometimes jumps past τ (the key goes idle) and inserts that
// evict it meanwhile: adds land on live entries or
// on the dead mark, never on a forgotten word, so every decision stays a
// GCRA decision (its slot at or after its own now and within τ). Run with
// -race.
func TestGCRABusyKeyEvictionStress(t *testing.T) {
	for _, alg := range []string{TokenBucket, LeakyBucket} {
		l, err := New(Config{Quota: 1000, Duration: 1, Algorithm: alg, BucketSize: 200}, WithMaxKeys(256))
		if err != nil {
			t.Fatal(err)
		}
		T, tau := l.p.interval, l.p.tau
		var clk atomic.Int64
		clk.Store(t0.UnixNano())
		key := []byte("hot")
		hotKey, hotHash := keyOf(l.local.seed, key)
		var admitted, replaced, evClk atomic.Int64
		var workers sync.WaitGroup
		for w := range 4 {
			workers.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 5))
				now := clk.Load()
				var last *entry
				for i := range 5000 {
					switch r := rng.IntN(2000); {
					case r < 4: // the key goes idle
						clk.Add(tau + T)
					case r < 250:
						clk.Add(rng.Int64N(T))
					}
					if rng.IntN(2) == 0 { // else the last reading, stale
						now = clk.Load()
					}
					if i%8 == 0 { // eviction pressure, from a clock ahead of all
						var d Decision
						ev := max(evClk.Add(T), clk.Load()+tau+T)
						k, h := keyOf(l.local.seed, []byte(fmt.Sprintf("w%d-%d", w, i)))
						l.local.allow(&d, k, h, ev, -1)
					}
					var d Decision
					l.local.allow(&d, hotKey, hotHash, now, -1)
					if e := findEntry(l, key); e != last {
						if last != nil {
							replaced.Add(1) // the hot key was evicted
						}
						last = e
					}
					if !d.Allowed {
						if d.RetryAfter <= 0 || d.Reset < 0 {
							t.Errorf("%s: request %d: bad rejection %+v", alg, i, d)
							return
						}
						continue
					}
					admitted.Add(1)
					r := int64(d.Reset)
					if r < T || r > tau || d.Remaining != int((tau-r)/T) ||
						(alg == LeakyBucket && d.Delay != d.Reset-time.Duration(T)) {
						t.Errorf("%s: request %d: not a GCRA admission: %+v", alg, i, d)
						return
					}
				}
			})
		}
		workers.Wait()
		if admitted.Load() == 0 || replaced.Load() == 0 {
			t.Errorf("%s: not exercised: %d admitted, hot key replaced %d times",
				alg, admitted.Load(), replaced.Load())
		}
	}
}
