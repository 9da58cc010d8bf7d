//go:build !race

package proxy

import "testing"

// TestMatchCriteriaZeroAllocs: the whole proxied path through rules with
// hosts, methods, headers and query criteria (exact and regex) allocates
// nothing, for the rule that wins and for the rules tried before it.
func TestMatchCriteriaZeroAllocs(t *testing.T) {
	g := newInmemGatewayConfig(t, `premier:
  servers: ["http://backend.internal:80"]
  paths:
    - pattern: "/api/*"
      hosts: ["other.example.com", "*.example.com"]
    - pattern: "/api/*"
      hosts: ["Example.com"]
      methods: [POST]
    - pattern: "/api/exact"
      headers: {X-Forwarded-For: "^198\\.51\\."}
      query: {v: "^[12]$"}
    - pattern: "/api/*"
      hosts: ["example.com"]
      methods: [GET]
      headers: {X-Forwarded-For: "198.51.100.7"}
      query: {v: "3"}
    - pattern: "/*"
`)
	for _, uri := range []string{"/api/exact?v=1", "/api/x?v=3", "/api/x?v=4", "/other"} {
		g.warm(t, uri, false)
		if n := testing.AllocsPerRun(200, func() { g.do(t, uri) }); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", uri, n)
		}
	}
}
