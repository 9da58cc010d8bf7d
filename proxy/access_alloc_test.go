//go:build !race

package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// accessAllocYAML has an ip_filter of 10,000 CIDRs (the client is
// 198.51.100.7, behind the trusted peer 127.0.0.1) and CORS rules, cached
// and not.
func accessAllocYAML() string {
	var b strings.Builder
	b.WriteString(`premier:
  servers: ["http://backend.internal:80"]
  trusted_proxies: ["127.0.0.1"]
  paths:
    - pattern: /filtered/*
      features:
        ip_filter:
          deny: ["198.51.100.66", "2001:db8::/32"]
          allow: ["198.51.100.0/24"`)
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&b, `, "10.%d.%d.0/24"`, i/256, i%256)
	}
	b.WriteString(`]
    - pattern: /cors/*
      features:
        cors: {allow_origins: ["https://app.example.com", "https://*.example.org"], allow_methods: [GET, POST], allow_headers: [Authorization], expose_headers: [X-Request-ID], allow_credentials: true, max_age: 600}
    - pattern: /cached-cors/*
      features:
        cache: {expire_s: 3600}
        cors: {allow_origins: ["https://app.example.com"]}
`)
	return b.String()
}

// sendWith is inmemGateway.send with extra request headers and the status
// expected.
func (g *inmemGateway) sendWith(tb testing.TB, method, uri string, status int, hdr ...string) {
	req := &g.ctx.Request
	req.Reset()
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	req.Header.SetHost("example.com")
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	g.ctx.Response.Reset()
	g.ctx.Response.KeepBodyBuffer = true
	g.gw.Handler(&g.ctx)
	if g.ctx.Response.StatusCode() != status {
		tb.Fatalf("%s %s: status %d %s, want %d", method, uri, g.ctx.Response.StatusCode(), g.ctx.Response.Body(), status)
	}
	if err := g.ctx.Response.Write(g.bw); err != nil {
		tb.Fatal(err)
	}
	_ = g.bw.Flush()
}

// TestAccessZeroAllocs: a request through an ip_filter of 10,000 CIDRs
// (admitted and refused), a CORS actual request (plain and a cache hit)
// and a CORS preflight allocate nothing.
func TestAccessZeroAllocs(t *testing.T) {
	g := newInmemGatewayConfig(t, accessAllocYAML())
	origin := []string{"Origin", "https://app.example.com"}
	pre := []string{"Origin", "https://x.example.org", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization"}
	cases := []struct {
		name, method, uri string
		status            int
		hdr               []string
		hit               bool
	}{
		{"ip_filter admitted", "GET", "/filtered/a", 200, nil, false},
		{"ip_filter refused", "GET", "/filtered/a", 403, []string{"X-Forwarded-For", "198.51.100.66"}, false},
		{"cors actual", "GET", "/cors/a", 200, origin, false},
		{"cors foreign origin", "GET", "/cors/a", 200, []string{"Origin", "https://evil.test"}, false},
		{"cors preflight", "OPTIONS", "/cors/a", 204, pre, false},
		{"cors refused preflight", "OPTIONS", "/cors/a", 403, []string{"Origin", "https://evil.test", "Access-Control-Request-Method", "GET"}, false},
		{"cors cache hit", "GET", "/cached-cors/a", 200, origin, true},
	}
	for _, c := range cases {
		run := func() { g.sendWith(t, c.method, c.uri, c.status, c.hdr...) }
		for i := 0; i < 10; i++ {
			run()
		}
		for i := 0; c.hit && string(g.ctx.Response.Header.Peek("X-Cache")) != "HIT"; i++ {
			if i == 500 {
				t.Fatalf("%s: never a hit", c.name)
			}
			time.Sleep(2 * time.Millisecond)
			run()
		}
		if n := testing.AllocsPerRun(200, run); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", c.name, n)
		}
		if c.status != 403 && c.hdr != nil && c.hdr[1] != "https://evil.test" && len(g.ctx.Response.Header.Peek("Access-Control-Allow-Origin")) == 0 {
			t.Errorf("%s: no Access-Control-Allow-Origin", c.name)
		}
	}
}

// BenchmarkAccess measures a request through a 10,000-CIDR ip_filter and
// through CORS, next to BenchmarkProxyPath's plain request.
func BenchmarkAccess(b *testing.B) {
	for _, c := range []struct {
		name, method, uri string
		status            int
		hdr               []string
	}{
		{"ip_filter-10k", "GET", "/filtered/a", 200, nil},
		{"cors-actual", "GET", "/cors/a", 200, []string{"Origin", "https://app.example.com"}},
		{"cors-preflight", "OPTIONS", "/cors/a", 204, []string{"Origin", "https://x.example.org", "Access-Control-Request-Method", "POST"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			g := newInmemGatewayConfig(b, accessAllocYAML())
			g.sendWith(b, c.method, c.uri, c.status, c.hdr...)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g.sendWith(b, c.method, c.uri, c.status, c.hdr...)
			}
		})
	}
}
