//go:build !race

package wsrelay

import (
	"io"
	"testing"
	"time"
)

// TestPumpZeroAllocs: relaying a message allocates nothing, whole or with
// its header split across reads, either way, with the idle timeout on.
func TestPumpZeroAllocs(t *testing.T) {
	for _, in := range []bool{true, false} {
		p, far := testPump(t, in, Options{IdleTimeout: time.Minute, MaxMessageBytes: 1 << 20})
		drained := make(chan struct{})
		go func() {
			_, _ = io.Copy(io.Discard, far)
			close(drained)
		}()
		msg := frame(finBinary, make([]byte, 200), in)
		whole := func() {
			p.c.touch()
			p.process(msg)
			p.flushStats()
		}
		split := func() {
			p.process(msg[:1])
			p.process(msg[1:3])
			p.process(msg[3:])
			p.flushStats()
		}
		for name, f := range map[string]func(){"whole": whole, "split": split} {
			if n := testing.AllocsPerRun(1000, f); n != 0 {
				t.Errorf("in=%v %s: %v allocations per message", in, name, n)
			}
		}
		p.dst.kill()
		<-drained
	}
}
