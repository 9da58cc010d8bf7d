//go:build !race

package limiter

import (
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/premier-gateway/premier/internal/memtest"
)

// A key costs the same memory whatever its length: 100,000 distinct 8 KB
// keys (stored whole they took ~8.3 KB each) grow the heap by 90–105 bytes
// each (with the table's load), 155–170 for the buckets (whose state word
// has a cache line of its own). Not under -race, whose shadow memory and allocator differ; named
// Alloc so that `make test`'s allocation pass runs it.
func TestLocalKeyMemoryAlloc(t *testing.T) {
	const n = 100_000
	for _, c := range []struct {
		alg   string
		bound uint64 // bytes per key
	}{{FixedWindow, 192}, {SlidingWindow, 192}, {TokenBucket, 256}, {LeakyBucket, 256}} {
		clk := NewManualClock(t0)
		l, err := New(Config{Quota: 10, Duration: 3600, Algorithm: c.alg}, WithClock(clk))
		if err != nil {
			t.Fatal(err)
		}
		key := make([]byte, 8<<10)
		for i := range key {
			key[i] = 'a' + byte(i%26)
		}
		before := memtest.LiveHeap()
		for i := range n {
			binary.BigEndian.PutUint64(key, uint64(i))
			if !l.Allow(key).Allowed {
				t.Fatalf("%s: fresh key %d refused", c.alg, i)
			}
		}
		after := memtest.LiveHeap()
		if k := l.Stats().Keys; k != n {
			t.Fatalf("%s: %d keys tracked, want %d", c.alg, k, n)
		}
		per := (after - min(before, after)) / n
		t.Logf("%s: %d distinct 8 KB keys, heap +%.1f MB, %d B per key", c.alg, n, float64(after-min(before, after))/1e6, per)
		if per > c.bound {
			t.Errorf("%s: %d B per 8 KB key, want at most %d", c.alg, per, c.bound)
		}
		runtime.KeepAlive(l)
	}
}
