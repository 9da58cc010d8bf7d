package limiter_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/premier-gateway/premier/limiter"
)

// Library mode: a limiter around any function. A ManualClock keeps the
// example deterministic; real code leaves the clock out.
func Example() {
	clock := limiter.NewManualClock(time.Unix(1_700_000_040, 0))
	lim, err := limiter.New(limiter.Config{Quota: 2, Duration: 60}, limiter.WithClock(clock))
	if err != nil {
		panic(err)
	}
	callAPI := func(user string) error {
		if d := lim.Allow([]byte(user)); !d.Allowed {
			return fmt.Errorf("slow down, retry in %ds", d.RetryAfterSeconds())
		}
		return nil // ... the real work
	}
	for range 3 {
		fmt.Println(callAPI("alice"))
	}
	fmt.Println(callAPI("bob"))
	// Output:
	// <nil>
	// <nil>
	// slow down, retry in 60s
	// <nil>
}

// Wait around a function: with a leaky bucket the calls leave one every
// Duration/Quota (here 100 ms), however fast they arrive.
func ExampleLimiter_Wait() {
	clock := limiter.NewManualClock(time.Unix(1_700_000_040, 0))
	lim, _ := limiter.New(limiter.Config{Quota: 10, Duration: 1, Algorithm: limiter.LeakyBucket, BucketSize: 2},
		limiter.WithClock(clock))
	start := clock.Now()
	for i := range 4 {
		err := lim.Wait(context.Background(), []byte("job"))
		fmt.Printf("job %d: waited until +%v, limited: %v\n", i,
			time.Duration(clock.Now()-start), errors.Is(err, limiter.ErrLimited))
	}
	// Output:
	// job 0: waited until +0s, limited: false
	// job 1: waited until +100ms, limited: false
	// job 2: waited until +200ms, limited: false
	// job 3: waited until +300ms, limited: false
}

// The header values a gateway writes on every response of a limited rule.
func ExampleLimiter_AppendRateLimit() {
	clock := limiter.NewManualClock(time.Unix(1_700_000_040, 0))
	lim, _ := limiter.New(limiter.Config{Quota: 100, Duration: 60}, limiter.WithName("api"), limiter.WithClock(clock))
	d := lim.Allow([]byte("192.0.2.1"))
	fmt.Printf("RateLimit-Policy: %s\n", lim.AppendPolicy(nil))
	fmt.Printf("RateLimit: %s\n", lim.AppendRateLimit(nil, d))
	// Output:
	// RateLimit-Policy: "api";q=100;w=60
	// RateLimit: "api";r=99;t=60
}
