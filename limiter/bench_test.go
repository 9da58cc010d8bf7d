package limiter

import (
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

var algs = []string{FixedWindow, SlidingWindow, TokenBucket, LeakyBucket}

func benchLimiter(b *testing.B, alg string) *Limiter {
	// A quota so large nothing is rejected: the benchmark measures admits,
	// which write (rejections only read).
	// The gateway's clock (Registry's default): a CoarseClock, one atomic
	// load per decision; BenchmarkAllowSystemClock measures the default.
	c := NewCoarseClock(time.Millisecond)
	b.Cleanup(c.Close)
	l, err := New(Config{Quota: 1<<24 - 2, Duration: 1e6, Algorithm: alg, BucketSize: 1 << 30}, WithClock(c))
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// Allow on one existing key, single goroutine.
func BenchmarkAllow(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			l := benchLimiter(b, alg)
			key := []byte("192.0.2.10")
			l.Allow(key)
			b.ReportAllocs()
			for b.Loop() {
				l.Allow(key)
			}
		})
	}
}

// Allow over 10k existing keys (cache misses included).
func BenchmarkAllow10kKeys(b *testing.B) {
	l := benchLimiter(b, TokenBucket)
	keys := make([][]byte, 10000)
	for i := range keys {
		keys[i] = []byte("10.1." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256))
		l.Allow(keys[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Allow(keys[i])
		if i++; i == len(keys) {
			i = 0
		}
	}
}

// RunParallel, each goroutine on its own key (run with -cpu 1,2).
func BenchmarkAllowParallelDistinct(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			l := benchLimiter(b, alg)
			var id atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				key := []byte("client-" + strconv.FormatInt(id.Add(1), 10))
				for pb.Next() {
					l.Allow(key)
				}
			})
		})
	}
}

// RunParallel, every goroutine on one hot key (a `global` rule).
func BenchmarkAllowParallelShared(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			l := benchLimiter(b, alg)
			key := []byte("global")
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					l.Allow(key)
				}
			})
		})
	}
}

// A rejected hot key: rejections never write, so they scale.
func BenchmarkAllowParallelSharedRejected(b *testing.B) {
	c := NewCoarseClock(time.Millisecond)
	defer c.Close()
	l, _ := New(Config{Quota: 1, Duration: 1e6, Algorithm: TokenBucket}, WithClock(c))
	key := []byte("global")
	l.Allow(key)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow(key)
		}
	})
}

// Allow with the default SystemClock: the monotonic clock read (20–50 ns
// here) comes on top.
func BenchmarkAllowSystemClock(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			l, _ := New(Config{Quota: 1<<24 - 2, Duration: 1e6, Algorithm: alg, BucketSize: 1 << 30})
			key := []byte("192.0.2.10")
			l.Allow(key)
			b.ReportAllocs()
			for b.Loop() {
				l.Allow(key)
			}
		})
	}
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// A flood of never-seen keys against a limiter at its cap (every tracked
// key active): each costs a hash and an atomic load, then the overflow
// bucket; memory does not grow.
func BenchmarkAllowFloodAtCap(b *testing.B) {
	c := NewCoarseClock(time.Millisecond)
	defer c.Close()
	l, _ := New(Config{Quota: 10, Duration: 3600}, WithClock(c), WithMaxKeys(1024))
	for i := range 2048 {
		l.Allow([]byte("active-" + strconv.Itoa(i)))
	}
	keys := make([][]byte, 4096)
	for i := range keys {
		keys[i] = []byte("spoofed-" + strconv.Itoa(i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Allow(keys[i&4095])
		i++
	}
	if s := l.Stats(); s.Keys > 1024 {
		b.Fatalf("grew past the cap: %+v", s)
	}
}

// Allow on one existing key by key length: up to 23 bytes a key is kept as
// it is, longer ones are hashed (SHA-256) on every decision.
func BenchmarkAllowKeyLength(b *testing.B) {
	for _, n := range []int{10, 22, 40, 8 << 10} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			l := benchLimiter(b, FixedWindow)
			key := make([]byte, n)
			for i := range key {
				key[i] = 'a' + byte(i%26)
			}
			l.Allow(key)
			b.ReportAllocs()
			for b.Loop() {
				l.Allow(key)
			}
		})
	}
}
