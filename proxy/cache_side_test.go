package proxy

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/nginxtest"
	"github.com/premier-gateway/premier/internal/origintest"
)

// cacheTarget is one cache in front of its own recording origin: Premier
// or a real nginx with proxy_cache, so a cache test runs the same
// requests against both and compares what each served and what reached
// each origin.
type cacheTarget struct {
	name   string // "premier" or "nginx"
	url    string // http://host:port of the cache
	origin *origintest.Origin
	// settle waits until what the last response filled is in the cache:
	// Premier's memory tier applies a store asynchronously (microseconds
	// later), so a request sent at once may still miss. nginx's is a no-op.
	settle func()
}

// cacheTargets starts Premier (with the YAML under `premier:` after the
// servers line, e.g. a rule with a cache) and a caching nginx (with the
// extra location directives), each in front of its own origin serving
// handler. Tests loop over the two and assert Premier's result, keeping
// nginx's for the comparison table in docs/caching.md.
func cacheTargets(t *testing.T, handler fasthttp.RequestHandler, premierYAML string, nginxDirectives ...string) []cacheTarget {
	t.Helper()
	po := origintest.Start(t, handler)
	p := startGateway(t, configYAML(po.URL(), premierYAML))
	no := origintest.Start(t, handler)
	n := nginxtest.StartCaching(t, no.Addr(), nginxDirectives...)
	return []cacheTarget{{"premier", p.url, po, p.gw.cache.Wait}, {"nginx", n.URL(), no, func() {}}}
}

// TestCacheTargetsSideBySide: both caches store a max-age response and
// answer the second request without the origin.
func TestCacheTargetsSideBySide(t *testing.T) {
	handler := func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.SetBodyString("body of " + string(ctx.Path()))
	}
	rule := "  paths:\n    - pattern: \"/*\"\n      features: {cache: {}}\n"
	for _, c := range cacheTargets(t, handler, rule) {
		for i := 0; i < 2; i++ {
			resp, body := do(t, "GET", c.url+"/side", nil, nil)
			if resp.StatusCode != 200 || body != "body of /side" {
				t.Fatalf("%s request %d: %d %q", c.name, i, resp.StatusCode, body)
			}
			c.settle()
			if i == 1 && !strings.Contains(resp.Header.Get("Cache-Status")+resp.Header.Get("X-Cache-Status"), "hit") &&
				resp.Header.Get("X-Cache-Status") != "HIT" {
				t.Errorf("%s: second answer not a hit: %v", c.name, resp.Header)
			}
		}
		if n := c.origin.Count("/side"); n != 1 {
			t.Errorf("%s: origin saw %d requests, want 1", c.name, n)
		}
	}
}
