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
		for i := 0; i < 10; i++ {
			g.do(t, uri) // warm the pools
		}
		// The cache stores asynchronously: warm until the entry is served.
		for i := 0; strings.HasPrefix(uri, "/cached") && string(g.ctx.Response.Header.Peek("X-Cache")) != "HIT"; i++ {
			if i == 500 {
				t.Fatal("the cached response never became a hit")
			}
			time.Sleep(2 * time.Millisecond)
			g.do(t, uri)
		}
		if n := testing.AllocsPerRun(200, func() { g.do(t, uri) }); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", uri, n)
		}
	}
}
