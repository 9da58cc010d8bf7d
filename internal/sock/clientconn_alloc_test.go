//go:build linux && !race

package sock

import (
	"io"
	"testing"
)

// TestHeldResponseZeroAllocs: holding a response and sending it with the
// next wait allocates nothing in steady state.
func TestHeldResponseZeroAllocs(t *testing.T) {
	s, c := connPair(t, newWatchdog(t))
	go func() {
		b := make([]byte, 4)
		for {
			if _, err := io.ReadFull(c, b); err != nil {
				return
			}
			if _, err := c.Write(b); err != nil {
				return
			}
		}
	}()
	b, pong := make([]byte, 4), []byte("pong")
	round := func() {
		s.(*ClientConn).hold.Store(true)
		if _, err := s.Write(pong); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(s, b); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		round()
	}
	if n := testing.AllocsPerRun(1000, round); n != 0 {
		t.Fatalf("%v allocations per held round, want 0", n)
	}
}
