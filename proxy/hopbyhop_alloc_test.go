//go:build !race

package proxy

import (
	"bufio"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestStripHopByHopZeroAllocs: stripping a browser-like request with
// Connection options and hop-by-hop headers, no name repeated, allocates
// nothing.
func TestStripHopByHopZeroAllocs(t *testing.T) {
	var src, h fasthttp.RequestHeader
	raw := "GET /x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nConnection: keep-alive, X-Opt\r\nX-Opt: 1\r\n" +
		"Keep-Alive: 5\r\nTE: trailers\r\nProxy-Authorization: b\r\nX-Forwarded-For: 1.2.3.4\r\nUser-Agent: u\r\n\r\n"
	if err := src.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	run := func() {
		src.CopyTo(&h)
		buf = stripHopByHop(&h, buf)
	}
	run()
	if h.Peek("X-Opt") != nil || h.Peek("Keep-Alive") != nil || h.Peek("Proxy-Authorization") != nil || h.Peek("TE") != nil || string(h.Peek("Accept")) != "*/*" {
		t.Fatalf("not stripped: %s", h.Header())
	}
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Fatalf("%v allocations per strip, want 0", n)
	}
}

// TestStripHopByHopResponseZeroAllocs: the usual backend answer with
// Connection and Keep-Alive is stripped without allocating.
func TestStripHopByHopResponseZeroAllocs(t *testing.T) {
	var src, h fasthttp.ResponseHeader
	raw := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n"
	if err := src.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	run := func() {
		src.CopyTo(&h)
		buf = stripHopByHop(&h, buf)
	}
	run()
	if h.Peek("Keep-Alive") != nil || h.Peek("Connection") != nil {
		t.Fatalf("not stripped: %s", h.Header())
	}
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Fatalf("%v allocations per strip, want 0", n)
	}
}
