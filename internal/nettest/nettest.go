// Package nettest gives tests real loopback TCP connections.
package nettest

import (
	"net"
	"testing"
)

// Pair returns both ends of a fresh loopback TCP connection: the dialled
// side and the accepted side. Both are closed when the test ends.
func Pair(tb testing.TB) (dialled, accepted *net.TCPConn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}
