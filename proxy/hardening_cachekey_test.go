package proxy

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// Catalogue rows 75-76: cache keys that one client could use to fill the
// entry another is served, through the real gateway and a real backend.

// sendHost sends one GET with the exact Host, target and headers (name,
// value pairs) on a new connection, lets the cache finish its store, and
// parses the response.
func sendHost(t *testing.T, h *gwHarness, host, target string, hdr ...string) *fasthttp.Response {
	t.Helper()
	raw := "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n"
	for i := 0; i+1 < len(hdr); i += 2 {
		raw += hdr[i] + ": " + hdr[i+1] + "\r\n"
	}
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(raw + "Connection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp := &fasthttp.Response{}
	if err := resp.Read(bufio.NewReader(c)); err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	h.gw.cache.Wait()
	return resp
}

func TestCacheKeyIncludesHost(t *testing.T) { // scenario 75
	// The backend echoes the Host, like a page that builds absolute links
	// from it.
	backend, hits := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Cache-Control", "public, max-age=60")
		ctx.SetBodyString("<a href=\"https://" + string(ctx.Host()) + "/home\">")
	})
	h := startGateway(t, configYAML(backend, `  paths:
    - pattern: "/api/users/{user_id}"
      features:
        cache: {expire_s: 60, cache_key: "user:{user_id}"}
    - pattern: "/shared/{user_id}"
      features:
        cache: {expire_s: 60, cache_key: "user:{user_id}", shared_across_hosts: true}
    - pattern: "/*"
      features:
        cache: {expire_s: 60}
`))
	for _, target := range []string{"/api/users/7", "/page?x=1"} {
		hits.Store(0)
		// The attacker fills first; the victim must get its own body.
		if r := sendHost(t, h, "evil.example", target); !strings.Contains(string(r.Body()), "evil.example") {
			t.Fatalf("%s evil: %q", target, r.Body())
		}
		r := sendHost(t, h, "shop.example", target)
		if xCache(r) != "MISS" || string(r.Body()) != `<a href="https://shop.example/home">` {
			t.Fatalf("%s shop after evil: %s %q", target, xCache(r), r.Body())
		}
		// Each host is still cached, and the host is compared lower-cased.
		for host, want := range map[string]string{"shop.example": "shop.example", "SHOP.example": "shop.example", "evil.example": "evil.example"} {
			if r := sendHost(t, h, host, target); xCache(r) != "HIT" || !strings.Contains(string(r.Body()), want) {
				t.Errorf("%s %s: %s %q", target, host, xCache(r), r.Body())
			}
		}
		if n := hits.Load(); n != 2 {
			t.Errorf("%s: backend hits %d, want 2 (one per host)", target, n)
		}
	}
	// shared_across_hosts: true shares the entry on purpose.
	hits.Store(0)
	sendHost(t, h, "a.example", "/shared/7")
	if r := sendHost(t, h, "b.example", "/shared/7"); xCache(r) != "HIT" || !strings.Contains(string(r.Body()), "a.example") || hits.Load() != 1 {
		t.Fatalf("shared_across_hosts: %s %q, %d hits", xCache(r), r.Body(), hits.Load())
	}
}
