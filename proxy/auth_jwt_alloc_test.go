//go:build !race

package proxy

import (
	"fmt"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestJWTRequestZeroAllocs: a request with a token verified before,
// counted under {consumer} and {jwt.tenant} by a rate limit, its claims
// copied to headers (the client's copy removed) and forwarded with
// X-Consumer, allocates nothing in steady state.
func TestJWTRequestZeroAllocs(t *testing.T) {
	g := newInmemGatewayConfig(t, fmt.Sprintf(`premier:
  servers: ["http://backend.internal:80"]
  paths:
    - pattern: /api/*
      features:
        auth: {jwt: {secret: %q, claims_to_headers: {X-User-Id: sub, X-Tenant: tenant}}}
        rate_limit: {quota: 1000000000, duration: 60, key: "{consumer}/{jwt.tenant}"}
`, jwtTestSecret))
	tok := "Bearer " + signJWT(t, jwt.SigningMethodHS256, []byte(jwtTestSecret), "", jwtClaims("alice", nil))
	send := func() {
		req := &g.ctx.Request
		req.Reset()
		req.Header.SetMethod("GET")
		req.SetRequestURI("/api/users?x=1")
		req.Header.SetHost("example.com")
		req.Header.Set("Authorization", tok)
		req.Header.Set("X-User-Id", "forged")
		g.ctx.Response.Reset()
		g.ctx.Response.KeepBodyBuffer = true
		g.gw.Handler(&g.ctx)
		if g.ctx.Response.StatusCode() != 200 {
			t.Fatalf("status %d %s", g.ctx.Response.StatusCode(), g.ctx.Response.Body())
		}
		if err := g.ctx.Response.Write(g.bw); err != nil {
			t.Fatal(err)
		}
		_ = g.bw.Flush()
	}
	for range 10 {
		send()
	}
	if n := testing.AllocsPerRun(200, send); n != 0 {
		t.Errorf("%v allocations per request, want 0", n)
	}
}
