package watchdog

import (
	"net"
	"testing"
	"time"
)

// BenchmarkSetReadDeadline compares moving a far read deadline on a
// watched connection with moving it on the socket itself.
func BenchmarkSetReadDeadline(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
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
