package watchdog

import (
	"net"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/nettest"
)

// BenchmarkSetReadDeadline compares moving a far read deadline on a
// watched connection with moving it on the socket itself.
func BenchmarkSetReadDeadline(b *testing.B) {
	raw, _ := nettest.Pair(b)
	w := New(0)
	defer w.Close()
	wc := w.Wrap(raw)
	defer wc.Close()
	for _, bc := range []struct {
		name string
		c    net.Conn
	}{{"socket", raw}, {"watched", wc}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bc.c.SetReadDeadline(time.Now().Add(time.Minute))
			}
		})
	}
}
