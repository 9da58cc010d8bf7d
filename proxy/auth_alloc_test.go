//go:build !race

package proxy

import (
	"fmt"
	"testing"
)

// TestAPIKeyRequestZeroAllocs: a request admitted by an API key (from the
// header, and from the query with the parameter taken out), counted under
// {consumer} by a rate limit and forwarded with X-Consumer, allocates
// nothing in steady state.
func TestAPIKeyRequestZeroAllocs(t *testing.T) {
	g := newInmemGatewayConfig(t, fmt.Sprintf(`premier:
  servers: ["http://backend.internal:80"]
  paths:
    - pattern: /api/*
      features:
        auth: {api_keys: {query: api_key, keys: [{name: mobile, sha256: %q}]}}
        rate_limit: {quota: 1000000000, duration: 60, key: "{consumer}"}
`, keyHash("secret-key")))
	send := func(uri, key string) {
		req := &g.ctx.Request
		req.Reset()
		req.Header.SetMethod("GET")
		req.SetRequestURI(uri)
		req.Header.SetHost("example.com")
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		req.Header.Set("X-Consumer", "forged")
		g.ctx.Response.Reset()
		g.ctx.Response.KeepBodyBuffer = true
		g.gw.Handler(&g.ctx)
		if g.ctx.Response.StatusCode() != 200 {
			t.Fatalf("%s: status %d %s", uri, g.ctx.Response.StatusCode(), g.ctx.Response.Body())
		}
		if err := g.ctx.Response.Write(g.bw); err != nil {
			t.Fatal(err)
		}
		_ = g.bw.Flush()
	}
	for _, tc := range []struct{ uri, key string }{{"/api/users?x=1", "secret-key"}, {"/api/users?x=1&api_key=secret-key", ""}} {
		for range 10 {
			send(tc.uri, tc.key)
		}
		if n := testing.AllocsPerRun(200, func() { send(tc.uri, tc.key) }); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", tc.uri, n)
		}
	}
}
