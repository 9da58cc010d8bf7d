//go:build !race

package limiter

import (
	"bytes"
	"testing"

	"github.com/premier-gateway/premier/internal/redistest"
)

// A decision from a held lease does not allocate.
func TestRedisLeaseAllocs(t *testing.T) {
	srv := redistest.Start(t)
	s := redisStore(t, srv, nil)
	for _, alg := range []string{FixedWindow, SlidingWindow, TokenBucket} {
		c := NewManualClock(t0)
		l, err := New(Config{Quota: 1 << 20, Duration: 60, Algorithm: alg}, WithName("allocs"),
			WithClock(c), WithStore(s))
		if err != nil {
			t.Fatal(err)
		}
		// A short key and one hashed to its fixed form.
		for _, key := range [][]byte{[]byte("192.0.2.10"), bytes.Repeat([]byte("k"), 8<<10)} {
			// Warm up until the key holds a lease: a token bucket leases
			// only once its TAT runs ahead of now (a full bucket grants the
			// request alone), after a few dozen decisions here.
			for range 100 {
				l.Allow(key)
			}
			calls := s.Stats().Calls
			if a := testing.AllocsPerRun(1000, func() {
				if !l.Allow(key).Allowed {
					t.Fatal("rejected")
				}
			}); a != 0 {
				t.Errorf("%s, %d-byte key: %v allocs per leased decision", alg, len(key), a)
			}
			if s.Stats().Calls != calls {
				t.Errorf("%s, %d-byte key: the leased decisions called Redis", alg, len(key))
			}
		}
	}
}
