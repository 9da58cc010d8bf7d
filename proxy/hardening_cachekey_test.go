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

func TestCacheQueryPoisoning(t *testing.T) { // scenario 76
	// The backend reads the last of repeated parameters, as PHP and Rack
	// do, and echoes the query it got.
	backend, hits := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Cache-Control", "public, max-age=60")
		ids := ctx.QueryArgs().PeekMulti("id")
		id := ""
		if len(ids) > 0 {
			id = string(ids[len(ids)-1])
		}
		ctx.SetBodyString("id=" + id + " query=" + string(ctx.URI().QueryString()))
	})
	h := startGateway(t, configYAML(backend, `  paths:
    - pattern: "/item"
      features:
        cache: {expire_s: 60, cache_key: "item:{query.id}"}
    - pattern: "/fresh/*"
      features:
        cache: {expire_s: 60, honor_client_no_cache: true}
    - pattern: "/*"
      features:
        cache: {expire_s: 60}
`))
	get := func(target string, hdr ...string) *fasthttp.Response {
		return sendHost(t, h, "gw.test", target, hdr...)
	}
	// A repeated parameter the key names is neither served from nor
	// stored in the cache, in any of its spellings.
	if r := get("/item?id=1"); xCache(r) != "MISS" || string(r.Body()) != "id=1 query=id=1" {
		t.Fatalf("prime: %s %q", xCache(r), r.Body())
	}
	for _, q := range []string{"id=1&id=evil", "id=1&i%64=evil", "id=1&id=evil&id=1"} {
		before := hits.Load()
		for range 2 {
			r := get("/item?" + q)
			if xCache(r) != "MISS" || string(r.Header.Peek("Cache-Status")) != "premier; fwd=bypass; detail=repeated-query" {
				t.Fatalf("%s: %s %q", q, xCache(r), r.Header.Peek("Cache-Status"))
			}
			if !strings.HasSuffix(string(r.Body()), "query="+q) {
				t.Fatalf("%s: the backend got %q", q, r.Body())
			}
		}
		if n := hits.Load() - before; n != 2 {
			t.Fatalf("%s: %d backend hits, want 2 (never from the cache)", q, n)
		}
	}
	before := hits.Load()
	if r := get("/item?id=1"); xCache(r) != "HIT" || string(r.Body()) != "id=1 query=id=1" || hits.Load() != before {
		t.Fatalf("clean request after the attempts: %s %q", xCache(r), r.Body())
	}
	if r := get("/item?id=evil"); xCache(r) != "MISS" || string(r.Body()) != "id=evil query=id=evil" {
		t.Fatalf("the evil value's own entry was filled: %s %q", xCache(r), r.Body())
	}

	// The default key keeps repeated parameters in their order: two
	// entries, each with its own body.
	hits.Store(0)
	for _, q := range []string{"a=2&a=1", "a=1&a=2"} {
		if r := get("/list?" + q); xCache(r) != "MISS" || string(r.Body()) != "id= query="+q {
			t.Fatalf("%s: %s %q", q, xCache(r), r.Body())
		}
	}
	for _, q := range []string{"a=2&a=1", "a=1&a=2"} {
		if r := get("/list?" + q); xCache(r) != "HIT" || string(r.Body()) != "id= query="+q {
			t.Fatalf("%s again: %s %q", q, xCache(r), r.Body())
		}
	}
	// Distinct names still share an entry whatever their order.
	get("/list?b=1&a=1")
	if r := get("/list?a=1&b=1"); xCache(r) != "HIT" || hits.Load() != 3 {
		t.Fatalf("distinct names reordered: %s, %d hits", xCache(r), hits.Load())
	}

	// A client's no-cache or max-age=0 does not force a backend fetch by
	// default; with honor_client_no_cache it does.
	for _, cc := range [][]string{{"Cache-Control", "no-cache"}, {"Cache-Control", "max-age=0"}, {"Pragma", "no-cache"}} {
		before := hits.Load()
		if r := get("/list?a=1&a=2", cc...); xCache(r) != "HIT" || hits.Load() != before {
			t.Fatalf("%v forced a fetch: %s, %d hits", cc, xCache(r), hits.Load()-before)
		}
		get("/fresh/x")
		before = hits.Load()
		r := get("/fresh/x", cc...)
		if xCache(r) != "MISS" || !strings.HasPrefix(string(r.Header.Peek("Cache-Status")), "premier; fwd=request") || hits.Load() != before+1 {
			t.Fatalf("honor_client_no_cache %v: %s %q, %d hits", cc, xCache(r), r.Header.Peek("Cache-Status"), hits.Load()-before)
		}
	}
}
