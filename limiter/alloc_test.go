//go:build !race

package limiter

import (
	"bytes"
	"testing"
)

// Allow on a tracked key, the header helpers and the hot-path decisions
// never allocate (local store).
func TestAllowAllocs(t *testing.T) {
	for _, alg := range []string{FixedWindow, SlidingWindow, TokenBucket, LeakyBucket} {
		c := NewManualClock(t0)
		l, err := New(Config{Quota: 1 << 20, Duration: 1, Algorithm: alg}, WithClock(c))
		if err != nil {
			t.Fatal(err)
		}
		key := []byte("192.0.2.10")
		l.Allow(key)
		buf := make([]byte, 0, 128)
		if a := testing.AllocsPerRun(1000, func() {
			d := l.Allow(key)
			buf = l.AppendRateLimit(buf[:0], d)
			buf = l.AppendPolicy(buf[:0])
			_ = d.RetryAfterSeconds()
			c.Advance(1)
		}); a != 0 {
			t.Errorf("%s: %v allocs per Allow", alg, a)
		}
		// A key longer than 23 bytes is hashed (SHA-256 on the stack).
		long := bytes.Repeat([]byte("k"), 8<<10)
		l.Allow(long)
		if a := testing.AllocsPerRun(1000, func() { l.Allow(long); c.Advance(1) }); a != 0 {
			t.Errorf("%s: %v allocs per Allow on an 8 KB key", alg, a)
		}
		// The system clock path too.
		l2, _ := New(Config{Quota: 1 << 20, Duration: 1, Algorithm: alg})
		l2.Allow(key)
		if a := testing.AllocsPerRun(1000, func() { l2.Allow(key) }); a != 0 {
			t.Errorf("%s (system clock): %v allocs per Allow", alg, a)
		}
	}
}
