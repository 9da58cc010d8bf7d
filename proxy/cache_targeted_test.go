package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// targetedOrigin answers with targeted cache-control fields (RFC 9213)
// that contradict Cache-Control.
func targetedOrigin(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	switch string(ctx.Path()) {
	case "/cdn-allows":
		h.Set("Cache-Control", "no-store")
		h.Set("CDN-Cache-Control", "max-age=60")
	case "/cdn-forbids":
		h.Set("Cache-Control", "max-age=60")
		h.Set("CDN-Cache-Control", "no-store")
	case "/cdn-over-expires":
		h.Set("Expires", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
		h.Set("CDN-Cache-Control", "max-age=60")
	case "/own-over-cdn":
		h.Set("Cache-Control", "no-store")
		h.Set("CDN-Cache-Control", "no-store")
		h.Set("Premier-Cache-Control", "max-age=60")
	case "/own-forbids":
		h.Set("CDN-Cache-Control", "max-age=60")
		h.Set("Premier-Cache-Control", "private")
	case "/surrogate":
		h.Set("Cache-Control", "no-store")
		h.Set("Surrogate-Control", "max-age=60+30, no-store;other-cdn")
	case "/surrogate-forbids":
		h.Set("Cache-Control", "max-age=60")
		h.Set("Surrogate-Control", "no-store-remote")
	case "/edge":
		h.Set("Cache-Control", "no-store")
		h.Set("Edge-Cache-Control", "max-age=60")
	}
	ctx.SetBodyString("body of " + string(ctx.Path()))
}

// TestCacheCDNCacheControlPrecedence: CDN-Cache-Control, and above it
// Premier-Cache-Control, replace Cache-Control and Expires for the cache
// (RFC 9213 §2.1) and are not sent on to the client; Cache-Control is
// passed unchanged, so browsers still obey it. nginx ignores both fields
// and forwards them.
func TestCacheCDNCacheControlPrecedence(t *testing.T) {
	targets := cacheTargets(t, targetedOrigin, cacheRule(""))
	checkCalls(t, targets, []struct {
		path           string
		premier, nginx int
	}{
		{"/cdn-allows", 1, 2},
		{"/cdn-forbids", 2, 1},
		{"/cdn-over-expires", 1, 2},
		{"/own-over-cdn", 1, 2},
		{"/own-forbids", 2, 2},
	})
	for _, c := range targets {
		for _, path := range []string{"/cdn-allows", "/own-over-cdn"} {
			resp, _ := c.get(t, path, nil)
			cdn, own := resp.Header.Get("CDN-Cache-Control"), resp.Header.Get("Premier-Cache-Control")
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s: Cache-Control %q, want the origin's no-store", c.name, path, resp.Header.Get("Cache-Control"))
			}
			if forwarded := cdn != "" || own != ""; forwarded != (c.name == "nginx") {
				t.Errorf("%s %s: CDN-Cache-Control %q, Premier-Cache-Control %q sent to the client", c.name, path, cdn, own)
			}
		}
	}
}

// TestCacheTargetedFieldConfigured: cache.targeted_field names Premier's
// own field; with ignore_cdn_cache_control the CDN field is passed on and
// Cache-Control decides.
func TestCacheTargetedFieldConfigured(t *testing.T) {
	origin := startBackend(t, targetedOrigin)
	h := startGateway(t, configYAML(origin, "  cache: {targeted_field: Edge-Cache-Control, ignore_cdn_cache_control: true}\n"+cacheRule("")))
	for _, path := range []string{"/edge", "/edge", "/cdn-allows", "/cdn-allows"} {
		resp, _ := do(t, "GET", h.url+path, nil, nil)
		h.gw.cache.Wait()
		if resp.Header.Get("Edge-Cache-Control") != "" {
			t.Fatalf("%s: Edge-Cache-Control sent to the client", path)
		}
		if path == "/cdn-allows" && resp.Header.Get("CDN-Cache-Control") != "max-age=60" {
			t.Fatalf("ignored CDN-Cache-Control not passed on: %v", resp.Header)
		}
	}
	if s := h.gw.cache.Stats(); s.Hits != 1 || s.NotStored["no-store"] != 2 {
		t.Fatalf("stats %+v: want /edge stored and hit, /cdn-allows no-store twice", s)
	}
}

// TestCacheSurrogateControl: with cache.surrogate_control, Surrogate-Control
// directives addressed to every surrogate replace Cache-Control for the
// cache (one for a named surrogate is not ours) and the field is not sent
// on; without it the field passes untouched. nginx ignores it.
func TestCacheSurrogateControl(t *testing.T) {
	targets := cacheTargets(t, targetedOrigin, "  cache: {surrogate_control: true}\n"+cacheRule(""))
	checkCalls(t, targets, []struct {
		path           string
		premier, nginx int
	}{
		{"/surrogate", 1, 2},
		{"/surrogate-forbids", 2, 1},
	})
	for _, c := range targets {
		resp, _ := c.get(t, "/surrogate", nil)
		if sent := resp.Header.Get("Surrogate-Control") != ""; sent != (c.name == "nginx") {
			t.Errorf("%s: Surrogate-Control %q sent to the client", c.name, resp.Header.Get("Surrogate-Control"))
		}
	}
	origin := startBackend(t, targetedOrigin)
	h := startGateway(t, configYAML(origin, cacheRule("")))
	resp, _ := do(t, "GET", h.url+"/surrogate", nil, nil)
	if resp.Header.Get("Surrogate-Control") == "" || !strings.HasSuffix(resp.Header.Get("Cache-Status"), "detail=no-store") {
		t.Fatalf("Surrogate-Control obeyed or dropped by default: %v", resp.Header)
	}
}
