//go:build !race

package watchdog

import (
	"testing"
	"time"
)

func TestSetDeadlineAllocs(t *testing.T) {
	w := newWatchdog(t)
	c, _ := pair(t, w)
	n := testing.AllocsPerRun(1000, func() {
		d := time.Now().Add(time.Minute)
		_ = c.SetReadDeadline(d)
		_ = c.SetWriteDeadline(d)
	})
	if n != 0 {
		t.Fatalf("%v allocs per deadline pair, want 0", n)
	}
}
