//go:build !race

package proxy

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

const splitAllocYAML = `premier:
  trusted_proxies: ["127.0.0.1"]
  paths:
    - pattern: /w/*
      features:
        split:
          - {weight: 95, servers: ["http://v1.internal:80"]}
          - {weight: 5, servers: ["http://v2.internal:80", "http://v2b.internal:80"], lb: {algorithm: ip_hash}}
    - pattern: /c/*
      features:
        split_sticky: true
        split:
          - {weight: 50, servers: ["http://v1.internal:80"]}
          - {weight: 50, servers: ["http://v2.internal:80"]}
    - pattern: /i/*
      features:
        split_sticky: ip
        split:
          - {weight: 90, servers: ["http://v1.internal:80"]}
          - {weight: 10, servers: ["http://v2.internal:80"]}
`

// TestSplitZeroAllocs: a request through a split (weighted, sticky by
// cookie with and without one, sticky by address) allocates nothing, and
// neither does the choice itself.
func TestSplitZeroAllocs(t *testing.T) {
	g := newInmemGatewayConfig(t, splitAllocYAML)
	g.sendWith(t, "GET", "/c/a", 200)
	pair, _, _ := strings.Cut(string(g.ctx.Response.Header.Peek("Set-Cookie")), ";")
	if pair == "" {
		t.Fatal("no sticky cookie")
	}
	cases := []struct {
		name, uri string
		hdr       []string
	}{
		{"weighted", "/w/a", nil},
		{"cookie, new client", "/c/a", nil},
		{"cookie, known client", "/c/a", []string{"Cookie", "a=b; " + pair}},
		{"client address", "/i/a", nil},
	}
	for _, c := range cases {
		run := func() { g.sendWith(t, "GET", c.uri, 200, c.hdr...) }
		if c.hdr != nil {
			// A Cookie header set through fasthttp's API is parsed into its
			// cookie list at once; one read from the wire stays the raw
			// line the gateway forwards and reads (cookieValue).
			raw := []byte("GET " + c.uri + "\r\nHost: example.com\r\n" + c.hdr[0] + ": " + c.hdr[1] + "\r\n\r\n")
			raw = bytes.Replace(raw, []byte("\r\n"), []byte(" HTTP/1.1\r\n"), 1)
			rd, br := bytes.NewReader(raw), bufio.NewReader(nil)
			run = func() {
				rd.Reset(raw)
				br.Reset(rd)
				g.sendRaw(t, br, 200)
			}
		}
		for range 10 {
			run()
		}
		if n := testing.AllocsPerRun(200, run); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", c.name, n)
		}
	}
	tb := g.gw.cur.Load()
	for _, p := range tb.splitPlans() {
		if n := testing.AllocsPerRun(1000, func() { p.split.choose(tb, &g.ctx) }); n != 0 {
			t.Errorf("%s: choose: %v allocations, want 0", p.name, n)
		}
	}
}

// sendRaw is sendWith for a request read from br as from a connection.
func (g *inmemGateway) sendRaw(tb testing.TB, br *bufio.Reader, status int) {
	req := &g.ctx.Request
	req.Reset()
	if err := req.Read(br); err != nil {
		tb.Fatal(err)
	}
	g.ctx.Response.Reset()
	g.ctx.Response.KeepBodyBuffer = true
	g.gw.Handler(&g.ctx)
	if g.ctx.Response.StatusCode() != status {
		tb.Fatalf("status %d %s, want %d", g.ctx.Response.StatusCode(), g.ctx.Response.Body(), status)
	}
	if len(g.ctx.Response.Header.Peek("Set-Cookie")) != 0 {
		tb.Fatalf("a known client was given a cookie again")
	}
	if err := g.ctx.Response.Write(g.bw); err != nil {
		tb.Fatal(err)
	}
	_ = g.bw.Flush()
}
