//go:build !race

package proxy

import (
	"strings"
	"testing"
	"time"
)

// TestProxyPathZeroAllocs proves the full proxied request path (normalise,
// match, plan, forward through the backend's HostClient, response out)
// allocates nothing in steady state — also on a rate-limited rule and for
// a cache hit.
func TestProxyPathZeroAllocs(t *testing.T) {
	g := newInmemGateway(t)
	for _, uri := range []string{"/api/users/42?x=1", "/static/a/b.css", "/other", "/admin/x", "/cached/page", "/limited/x"} {
		g.warm(t, uri, strings.HasPrefix(uri, "/cached"))
		if n := testing.AllocsPerRun(200, func() { g.do(t, uri) }); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", uri, n)
		}
	}
}

// TestCacheKeyedHitZeroAllocs: a hit through a cache_key template (the
// host put in front of it, its {query.NAME} checked for repeats) and a
// repeated keyed parameter forwarded around the cache allocate nothing.
func TestCacheKeyedHitZeroAllocs(t *testing.T) {
	g := newInmemGatewayConfig(t, `premier:
  servers: ["http://backend.internal:80"]
  paths:
    - pattern: /keyed/{id}
      features:
        cache: {expire_s: 3600, cache_key: "k:{id}:{query.v}"}
`)
	for _, uri := range []string{"/keyed/7?v=1&w=2", "/keyed/7?v=1&v=2"} {
		g.warm(t, uri, uri == "/keyed/7?v=1&w=2")
		if n := testing.AllocsPerRun(200, func() { g.do(t, uri) }); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", uri, n)
		}
	}
	if got := string(g.ctx.Response.Header.Peek("Cache-Status")); got != "premier; fwd=bypass; detail=repeated-query" {
		t.Fatalf("repeated v: Cache-Status %q", got)
	}
}

// warm sends uri until the pools are warm and, when hit, until the cache
// (which stores asynchronously) serves it.
func (g *inmemGateway) warm(t *testing.T, uri string, hit bool) {
	t.Helper()
	for i := 0; i < 10; i++ {
		g.do(t, uri)
	}
	for i := 0; hit && string(g.ctx.Response.Header.Peek("X-Cache")) != "HIT"; i++ {
		if i == 500 {
			t.Fatalf("%s: the cached response never became a hit", uri)
		}
		time.Sleep(2 * time.Millisecond)
		g.do(t, uri)
	}
}
