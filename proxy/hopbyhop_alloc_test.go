//go:build !race

package proxy

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/route"
)

// TestPrepareRequestZeroAllocs: preparing a browser-like request with
// Connection options, hop-by-hop headers and a Cookie, no name repeated,
// allocates nothing, and the Cookie line goes out as sent.
func TestPrepareRequestZeroAllocs(t *testing.T) {
	var src fasthttp.RequestHeader
	raw := "GET /x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nConnection: keep-alive, X-Opt\r\nX-Opt: 1\r\n" +
		"Keep-Alive: 5\r\nTE: trailers\r\nProxy-Authorization: b\r\nX-Forwarded-For: 1.2.3.4\r\nUser-Agent: u\r\n" +
		"Cookie: a=1;b=\"x y\"\r\n\r\n"
	if err := src.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	tr, _ := route.ParseTrustedProxies(nil)
	tab := &table{trusted: tr}
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 9), Port: 40000}, nil)
	s := scratchPool.Get().(*scratch)
	h := &ctx.Request.Header
	run := func() {
		src.CopyTo(h)
		if err := prepareRequest(&ctx, tab, s); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if h.Peek("X-Opt") != nil || h.Peek("Keep-Alive") != nil || h.Peek("Proxy-Authorization") != nil || h.Peek("TE") != nil ||
		string(h.Peek("Accept")) != "*/*" || string(h.Peek("X-Forwarded-For")) != "192.0.2.9" ||
		!strings.Contains(string(h.Header()), "\r\nCookie: a=1;b=\"x y\"\r\n") {
		t.Fatalf("not prepared: %s", h.Header())
	}
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Fatalf("%v allocations per request, want 0", n)
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
		buf = stripHopByHop(&h, buf, []byte("X-Request-Id"))
	}
	run()
	if h.Peek("Keep-Alive") != nil || h.Peek("Connection") != nil {
		t.Fatalf("not stripped: %s", h.Header())
	}
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Fatalf("%v allocations per strip, want 0", n)
	}
}
