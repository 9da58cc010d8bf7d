package limiter

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/redistest"
)

// Redis-backed decisions on loopback, one script call per decision
// (leasing off), auto-pipelined by rueidis across goroutines. Reports
// decisions/s and the p99 latency of one decision. The redis-server shares
// the machine's cores.
func BenchmarkRedisAllow(b *testing.B) { benchRedis(b, 1, []string{FixedWindow, TokenBucket}) }

// The same with token leasing at its defaults (DefaultLeaseMax, leases
// sized to LeaseHorizon of each key's traffic): most decisions are a local
// atomic decrement, refills are asynchronous.
func BenchmarkRedisAllowLeased(b *testing.B) {
	benchRedis(b, 0, []string{FixedWindow, SlidingWindow, TokenBucket})
}

func benchRedis(b *testing.B, leaseMax int, algs []string) {
	srv := redistest.Start(b)
	store := redisStore(b, srv, func(o *RedisOptions) {
		o.Timeout = time.Second
		o.LeaseMax = leaseMax
	})
	for _, alg := range algs {
		l, err := New(Config{Quota: 1<<24 - 2, Duration: 3600, Algorithm: alg, BucketSize: 1 << 30},
			WithName("bench"), WithStore(store))
		if err != nil {
			b.Fatal(err)
		}
		for _, goroutines := range []int{1, 64, 256} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", alg, goroutines), func(b *testing.B) {
				var mu sync.Mutex
				var all []time.Duration
				var id atomic.Int64
				calls := store.Stats().Calls
				b.SetParallelism(max(1, goroutines/runtimeProcs()))
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					key := []byte("client-" + strconv.FormatInt(id.Add(1)%1000, 10))
					lat := make([]time.Duration, 0, 1024)
					for pb.Next() {
						t := time.Now()
						if d := l.Allow(key); d.Fallback || !d.Allowed {
							b.Errorf("%+v", d)
							return
						}
						lat = append(lat, time.Since(t))
					}
					mu.Lock()
					all = append(all, lat...)
					mu.Unlock()
				})
				slices.Sort(all)
				if len(all) > 0 {
					b.ReportMetric(float64(all[len(all)*99/100].Nanoseconds())/1e3, "p99-µs")
					b.ReportMetric(float64(all[len(all)/2].Nanoseconds())/1e3, "p50-µs")
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
				b.ReportMetric(float64(store.Stats().Calls-calls)/float64(b.N), "calls/decision")
			})
		}
	}
}
