//go:build !race

package proxy

import (
	"path/filepath"
	"strings"
	"testing"
)

// With the access log on (JSON to a file), the proxied path, a cache hit,
// a rate-limited rule and a gateway 400 still allocate nothing per
// request: the record is copied into the ring, the writer formats it.
func TestAccessLogZeroAllocs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	yaml := strings.Replace(benchYAML, "  paths:\n", "  access_log: {path: "+path+", buffer: 65536}\n  paths:\n", 1)
	g := newInmemGatewayConfig(t, yaml)
	for _, uri := range []string{"/api/users/42?x=1&api_key=k", "/other", "/cached/page", "/limited/x"} {
		g.warm(t, uri, strings.HasPrefix(uri, "/cached"))
		if n := testing.AllocsPerRun(200, func() { g.do(t, uri) }); n != 0 {
			t.Errorf("%s: %v allocations per request with the access log on, want 0", uri, n)
		}
	}
	// The gateway's own 400 (a path the normaliser refuses).
	bad := func() {
		g.ctx.Request.Reset()
		g.ctx.Request.SetRequestURI("/a%00")
		g.ctx.Request.Header.SetHost("example.com")
		g.ctx.Response.Reset()
		g.gw.Handler(&g.ctx)
	}
	bad()
	if g.ctx.Response.StatusCode() != 400 {
		t.Fatalf("bad path: %d", g.ctx.Response.StatusCode())
	}
	if n := testing.AllocsPerRun(200, bad); n != 0 {
		t.Errorf("a 400: %v allocations per request with the access log on, want 0", n)
	}
}
