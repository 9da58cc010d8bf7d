//go:build !race

package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/premier-gateway/premier/internal/tlstest"
)

// TestTLSKeepAliveZeroAllocs: after the handshake, a request on a TLS
// keep-alive connection (client write, TLS record decrypt, the proxied
// request path to an in-memory backend, the response encrypted and read
// back) allocates nothing of the gateway's, for a forwarded request and a
// cache hit, with tls.hsts adding its header. The TLS pair runs over an in-memory listener, so the count
// covers the client, the gateway and the backend together. crypto/tls
// itself allocates one 16-byte reader each time a record read finds its
// input buffer empty (readFromUntil's atLeastReader escapes through
// bytes.Buffer.ReadFrom): one for the request on the server's side, one
// for the response on the client's. The test allows exactly those, and
// checks with the allocation profile that nothing else allocated.
func TestTLSKeepAliveZeroAllocs(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"example.com"}})
	g := newInmemGatewayConfig(t, benchYAML+tlsBlock(leaf, "    hsts: {max_age: 31536000}\n"))
	ln := fasthttputil.NewInmemoryListener()
	tln, err := g.gw.ListenTLS(ln, TLSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = g.gw.Serve(ctx, tln); close(done) }()
	defer func() { cancel(); <-done }()

	raw, err := ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(raw, ca.ClientConfig("example.com"))
	defer c.Close()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var resp fasthttp.Response
	for _, tc := range []struct {
		uri string
		hit bool
	}{{"/api/users/42?x=1", false}, {"/cached/page", true}} {
		req := []byte("GET " + tc.uri + " HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n")
		roundTrip := func() {
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			resp.Reset()
			if err := resp.Read(br); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != 200 || string(resp.Header.Peek("Strict-Transport-Security")) != "max-age=31536000" {
				t.Fatalf("%s: %d %s (HSTS %q)", tc.uri, resp.StatusCode(), resp.Body(), resp.Header.Peek("Strict-Transport-Security"))
			}
		}
		for i := 0; i < 20; i++ {
			roundTrip()
		}
		for i := 0; tc.hit && string(resp.Header.Peek("X-Cache")) != "HIT"; i++ {
			if i == 500 {
				t.Fatalf("%s never became a hit", tc.uri)
			}
			roundTrip()
		}
		if n := testing.AllocsPerRun(200, roundTrip); n > 2 {
			t.Errorf("%s over TLS: %v allocations per request, want at most crypto/tls's own 2", tc.uri, n)
		}
		// A site allocating on every request shows ~1000 objects; the
		// collections the profile needs empty the sync.Pools, whose refill
		// (and the profile's own bookkeeping) shows far fewer.
		const runs = 1000
		for site, n := range allocSites(runs, roundTrip) {
			if n >= runs/2 && site != tlsRecordReader {
				t.Errorf("%s over TLS: %d allocations in %d requests at %s", tc.uri, n, runs, site)
			}
		}
	}
}

// tlsRecordReader is the one allocation site of crypto/tls on a keep-alive
// connection (see TestTLSKeepAliveZeroAllocs).
const tlsRecordReader = "crypto/tls.(*Conn).readFromUntil"

// allocSites runs f n times with every allocation profiled and returns
// the innermost non-runtime function of each stack that allocated, with
// its count of objects. It only tells where: AllocsPerRun counts.
func allocSites(n int, f func()) map[string]int64 {
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	before := memProfile()
	for range n {
		f()
	}
	after := memProfile()
	sites := map[string]int64{}
	for stack, objs := range after {
		if d := objs - before[stack]; d > 0 {
			if site := allocSite(stack); site != "" {
				sites[site] += d
			}
		}
	}
	return sites
}

// allocSite is the innermost function of stack outside the runtime, or
// "" for the profile's own bookkeeping (memProfile's map, built between
// two snapshots).
func allocSite(stack [32]uintptr) string {
	site := ""
	frames := runtime.CallersFrames(stack[:])
	for more := true; more; {
		var fr runtime.Frame
		fr, more = frames.Next()
		if strings.HasSuffix(fr.Function, ".memProfile") || strings.HasSuffix(fr.Function, ".allocSites") {
			return ""
		}
		if site == "" && fr.Function != "" && !strings.HasPrefix(fr.Function, "runtime.") && !strings.HasPrefix(fr.Function, "internal/runtime/") {
			site = fr.Function
		}
	}
	return site
}

// memProfile is the allocation profile after a full collection (the
// profile is as of the last one), by stack.
func memProfile() map[[32]uintptr]int64 {
	runtime.GC()
	runtime.GC()
	recs := make([]runtime.MemProfileRecord, 4096)
	for {
		n, ok := runtime.MemProfile(recs, true)
		if ok {
			recs = recs[:n]
			break
		}
		recs = make([]runtime.MemProfileRecord, n+1024)
	}
	out := make(map[[32]uintptr]int64, len(recs))
	for _, r := range recs {
		out[r.Stack0] += r.AllocObjects
	}
	return out
}

// TestTLSRedirectZeroAllocs: the plain listener's 308 to https
// (tls.redirect_http) allocates nothing.
func TestTLSRedirectZeroAllocs(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"example.com"}})
	g := newInmemGatewayConfig(t, benchYAML+tlsBlock(leaf, "    listen: \":8443\"\n    redirect_http: true\n"))
	var ctx fasthttp.RequestCtx
	redirect := func() {
		ctx.Request.Reset()
		ctx.Request.SetRequestURI("/api/users/42?x=1")
		ctx.Request.Header.SetHost("example.com:8000")
		ctx.Response.Reset()
		g.gw.Handler(&ctx)
	}
	redirect()
	if ctx.Response.StatusCode() != 308 || string(ctx.Response.Header.Peek("Location")) != "https://example.com:8443/api/users/42?x=1" {
		t.Fatalf("%d Location %q", ctx.Response.StatusCode(), ctx.Response.Header.Peek("Location"))
	}
	if n := testing.AllocsPerRun(200, redirect); n != 0 {
		t.Errorf("redirect: %v allocations per request, want 0", n)
	}
}

// TestTLSClientCertZeroAllocs: with client_auth, a request over a
// connection whose client certificate was verified — its CN forwarded in
// X-Client-Cert-CN and used as a rate-limit key ({tls.client_cn}) —
// allocates nothing of the gateway's either.
func TestTLSClientCertZeroAllocs(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"example.com"}})
	alice := ca.Issue(tlstest.Leaf{Names: []string{"alice"}, Client: true})
	yaml := `premier:
  servers: ["http://backend.internal:80"]
  paths:
    - pattern: "/limited/*"
      features:
        rate_limit: {quota: 1000000000, duration: 1, key: "{tls.client_cn}"}
` + tlsBlock(leaf, "    client_auth: {ca_file: \""+ca.CertFile+"\", mode: require}\n")
	var seen atomic.Value
	g := newInmemGatewayWith(t, yaml, func(ctx *fasthttp.RequestCtx) {
		if cn := ctx.Request.Header.Peek("X-Client-Cert-Cn"); string(cn) != "alice" {
			seen.Store(string(cn))
		}
		ctx.SetBodyString("ok")
	})
	ln := fasthttputil.NewInmemoryListener()
	tln, err := g.gw.ListenTLS(ln, TLSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = g.gw.Serve(ctx, tln); close(done) }()
	defer func() { cancel(); <-done }()
	raw, err := ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	cfg := ca.ClientConfig("example.com")
	cfg.Certificates = []tls.Certificate{alice.TLS}
	c := tls.Client(raw, cfg)
	defer c.Close()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var resp fasthttp.Response
	req := []byte("GET /limited/x HTTP/1.1\r\nHost: example.com\r\nX-Client-Cert-CN: mallory\r\n\r\n")
	roundTrip := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		resp.Reset()
		if err := resp.Read(br); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != 200 {
			t.Fatalf("%d %s", resp.StatusCode(), resp.Body())
		}
	}
	for i := 0; i < 20; i++ {
		roundTrip()
	}
	if v := seen.Load(); v != nil {
		t.Fatalf("backend saw X-Client-Cert-CN %q, want alice", v)
	}
	if n := testing.AllocsPerRun(200, roundTrip); n > 2 {
		t.Errorf("%v allocations per request, want at most crypto/tls's own 2", n)
	}
}
