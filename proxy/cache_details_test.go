package proxy

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// detailsOrigin answers the paths of the "details" tests.
func detailsOrigin(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	switch string(ctx.Path()) {
	case "/vary-star":
		h.Set("Cache-Control", "max-age=60")
		h.Set("Vary", "*")
	case "/vary-spelling":
		h.Set("Cache-Control", "max-age=60")
		if string(ctx.Request.Header.Peek("Accept-Language")) == "fr" {
			h.Set("Vary", "accept, ACCEPT-LANGUAGE, Accept")
		} else {
			h.Set("Vary", "Accept-Language, Accept")
		}
	case "/interim":
		rawResponse(ctx, func() string {
			return "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" +
				"HTTP/1.1 200 OK\r\nCache-Control: max-age=60"
		}, "body of /interim")
		return
	case "/max-age":
		h.Set("Cache-Control", "max-age=60")
	case "/public":
		h.Set("Cache-Control", "public, max-age=60")
	case "/s-maxage":
		h.Set("Cache-Control", "s-maxage=60")
	case "/must-revalidate":
		h.Set("Cache-Control", "must-revalidate, max-age=60")
	}
	ctx.SetBodyString("body of " + string(ctx.Path()) + " " + string(ctx.Request.Header.Peek("Accept-Language")))
}

// twice sends two requests with hdr and returns the second response.
func twice(t *testing.T, c cacheTarget, path string, hdr map[string]string) (last string, cacheStatus string) {
	t.Helper()
	for i := 0; i < 2; i++ {
		resp, body := c.get(t, path, hdr)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d", c.name, path, resp.StatusCode)
		}
		last, cacheStatus = body, resp.Header.Get("Cache-Status")+resp.Header.Get("X-Cache-Status")
	}
	return last, cacheStatus
}

// TestCacheVaryStar: a response with Vary: * is never served from the
// cache (RFC 9111 §4.1). nginx does not store it either.
func TestCacheVaryStar(t *testing.T) {
	for _, c := range cacheTargets(t, detailsOrigin, cacheRule("")) {
		_, cs := twice(t, c, "/vary-star", nil)
		if n := c.origin.Count("/vary-star"); n != 2 {
			t.Errorf("%s: Vary: * reused (%d origin requests, %q)", c.name, n, cs)
		}
		if c.name == "premier" && !strings.HasSuffix(cs, "detail=vary-star") {
			t.Errorf("premier: Cache-Status %q", cs)
		}
	}
}

// TestCacheVaryNamesNormalised: Vary names are a case-insensitive set: a
// refill naming them in another order and case keeps the variants stored
// before it. nginx keeps one variant per key: each language evicts the
// other.
func TestCacheVaryNamesNormalised(t *testing.T) {
	for _, c := range cacheTargets(t, detailsOrigin, cacheRule("")) {
		for _, lang := range []string{"en", "fr", "en", "fr"} {
			_, body := c.get(t, "/vary-spelling", map[string]string{"Accept-Language": lang, "Accept": "text/html"})
			if body != "body of /vary-spelling "+lang {
				t.Fatalf("%s %s: %q", c.name, lang, body)
			}
		}
		want := 2
		if c.name == "nginx" {
			want = 4
		}
		if n := c.origin.Count("/vary-spelling"); n != want {
			t.Errorf("%s: %d origin requests for 2 languages twice, want %d", c.name, n, want)
		}
	}
}

// TestCacheInterimNotStored: a 103 before the final 200 is never stored or
// replayed; the 200 is (RFC 9111 §3). nginx answers the 200 but does not
// store it.
func TestCacheInterimNotStored(t *testing.T) {
	for _, c := range cacheTargets(t, detailsOrigin, cacheRule("")) {
		for i := 0; i < 2; i++ {
			resp, body := c.get(t, "/interim", nil)
			if resp.StatusCode != 200 || body != "body of /interim" || resp.Header.Get("Link") != "" {
				t.Fatalf("%s request %d: %d %q Link %q", c.name, i, resp.StatusCode, body, resp.Header.Get("Link"))
			}
		}
		want := 1
		if c.name == "nginx" {
			want = 2
		}
		if n := c.origin.Count("/interim"); n != want {
			t.Errorf("%s: %d origin requests for the 200 after a 103, want %d", c.name, n, want)
		}
	}
}

// TestCacheRequestNoStore: a request with Cache-Control: no-store is
// answered but its response is not stored (RFC 9111 §5.2.1.5). nginx
// ignores the directive and stores it.
func TestCacheRequestNoStore(t *testing.T) {
	for _, c := range cacheTargets(t, detailsOrigin, cacheRule("")) {
		c.get(t, "/max-age", map[string]string{"Cache-Control": "no-store"})
		c.get(t, "/max-age", nil)
		want := 2
		if c.name == "nginx" {
			want = 1
		}
		if n := c.origin.Count("/max-age"); n != want {
			t.Errorf("%s: %d origin requests, want %d", c.name, n, want)
		}
	}
}

// TestCacheAuthorization: a response to a request with Authorization is
// stored only when it says public, s-maxage or must-revalidate (RFC 9111
// §3.5). nginx does not look at Authorization and stores all four.
func TestCacheAuthorization(t *testing.T) {
	auth := map[string]string{"Authorization": "Bearer alice"}
	for _, c := range cacheTargets(t, detailsOrigin, cacheRule("")) {
		for path, premier := range map[string]int{"/max-age": 2, "/public": 1, "/s-maxage": 1, "/must-revalidate": 1} {
			twice(t, c, path, auth)
			want := premier
			if c.name == "nginx" {
				want = 1
			}
			if n := c.origin.Count(path); n != want {
				t.Errorf("%s %s with Authorization: %d origin requests, want %d", c.name, path, n, want)
			}
		}
	}
}

// TestCacheStatusHeader: Premier's RFC 9211 Cache-Status on a miss that
// stored, a hit and a miss that did not store; nginx has no Cache-Status
// (its X-Cache-Status says MISS or HIT).
func TestCacheStatusHeader(t *testing.T) {
	for _, c := range cacheTargets(t, detailsOrigin, cacheRule("")) {
		miss, _ := c.get(t, "/public", nil)
		hit, _ := c.get(t, "/public", nil)
		vary, _ := c.get(t, "/vary-star", nil)
		got := []string{miss.Header.Get("Cache-Status"), hit.Header.Get("Cache-Status"), vary.Header.Get("Cache-Status")}
		want := []string{"premier; fwd=uri-miss; fwd-status=200; stored; ttl=60", "premier; hit; ttl=60",
			"premier; fwd=uri-miss; fwd-status=200; detail=vary-star"}
		if c.name == "nginx" {
			got = []string{miss.Header.Get("X-Cache-Status"), hit.Header.Get("X-Cache-Status"), vary.Header.Get("Cache-Status")}
			want = []string{"MISS", "HIT", ""}
		}
		for i := range want {
			// ttl is whole seconds left, rounded down, and the apparent age
			// counts from the origin's Date (whole seconds, and fasthttp
			// refreshes it once a second): 60 may read 58 or 59.
			g := strings.NewReplacer("ttl=59", "ttl=60", "ttl=58", "ttl=60").Replace(got[i])
			if g != want[i] {
				t.Errorf("%s: %q, want %q", c.name, got[i], want[i])
			}
		}
	}
}
