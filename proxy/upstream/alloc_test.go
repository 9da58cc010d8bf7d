//go:build !race

package upstream

import (
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/watchdog"
)

// okBackend is a fasthttp server on loopback answering "ok".
func okBackend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

// TestTransportZeroAllocs: a round trip over a real kept-alive socket
// (the raw send-and-await path of a dialled backend connection), pooled
// or pipelined, allocates nothing in steady state — the gateway's own
// allocation tests use in-memory backends, which skip that path.
func TestTransportZeroAllocs(t *testing.T) {
	b := newBackend(t, okBackend(t))
	w := watchdog.New(0)
	defer w.Close()
	pt := NewPipeTransport(b, 1, 5*time.Second, func(addr string, timeout time.Duration) (net.Conn, error) {
		return Dial(w, nil, addr, timeout)
	})
	defer pt.Close()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + b.Target.Addr + "/x")
	whole64k := &Whole{Max: 64 << 10}
	for name, rt := range map[string]func() error{
		"pooled":    func() error { return RoundTrip(b.Client, req, resp, time.Now(), time.Time{}, whole64k) },
		"pipelined": func() error { return pt.RoundTrip(b, req, resp, time.Now(), time.Time{}, whole64k) },
	} {
		round := func() {
			if err := rt(); err != nil || string(resp.Body()) != "ok" {
				t.Fatalf("%s: %q, %v", name, resp.Body(), err)
			}
		}
		for i := 0; i < 100; i++ {
			round()
		}
		if n := testing.AllocsPerRun(1000, round); n != 0 {
			t.Errorf("%s: %v allocations per round trip, want 0", name, n)
		}
	}
}

// TestTLSTransportAllocs: a round trip over a kept-alive TLS backend
// connection (through the TLS layer, not the raw send-and-await) adds no
// allocation of the transport's own. crypto/tls itself allocates one
// object per record it reads (Conn.readFromUntil's reader escapes, Go
// 1.26): one for the gateway's read of the response and one for the
// in-process backend's read of the request, both counted here.
func TestTLSTransportAllocs(t *testing.T) {
	addr, roots := tlsOKBackend(t)
	b := newTLSBackend(t, addr, roots)
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("https://" + addr + "/x")
	whole64k := &Whole{Max: 64 << 10}
	round := func() {
		if err := RoundTrip(b.Client, req, resp, time.Now(), time.Time{}, whole64k); err != nil || string(resp.Body()) != "ok" {
			t.Fatalf("%q, %v", resp.Body(), err)
		}
	}
	for i := 0; i < 100; i++ {
		round()
	}
	if n := testing.AllocsPerRun(1000, round); n > 2 {
		t.Errorf("%v allocations per TLS round trip, want at most crypto/tls's 2 (one record read each side)", n)
	}
}
