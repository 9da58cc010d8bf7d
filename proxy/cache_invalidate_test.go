package proxy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/origintest"
	"github.com/premier-gateway/premier/internal/redistest"
	"github.com/premier-gateway/premier/proxy/config"
)

// versionedOrigin serves every path as "<path> v<N>", fresh for a minute,
// where N counts the unsafe requests the path has received on the origin
// serving it (cacheTargets runs one handler on two origins). An unsafe
// request answers with the status in its X-Status header (default 200)
// and echoes X-Location / X-Content-Location as Location /
// Content-Location.
func versionedOrigin() fasthttp.RequestHandler {
	var mu sync.Mutex
	versions := map[string]int{}
	return func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		origin := ctx.LocalAddr().String()
		mu.Lock()
		defer mu.Unlock()
		if ctx.IsGet() || ctx.IsHead() {
			ctx.Response.Header.Set("Cache-Control", "max-age=60")
			ctx.SetBodyString(path + " v" + strconv.Itoa(versions[origin+path]))
			return
		}
		versions[origin+path]++
		for _, target := range strings.Fields(string(ctx.Request.Header.Peek("X-Bumps"))) {
			versions[origin+target]++
		}
		if v := ctx.Request.Header.Peek("X-Location"); len(v) > 0 {
			ctx.Response.Header.SetBytesV("Location", v)
		}
		if v := ctx.Request.Header.Peek("X-Content-Location"); len(v) > 0 {
			ctx.Response.Header.SetBytesV("Content-Location", v)
		}
		status := 200
		if v := ctx.Request.Header.Peek("X-Status"); len(v) > 0 {
			status, _ = strconv.Atoi(string(v))
		}
		ctx.SetStatusCode(status)
	}
}

// getBody GETs url and returns the body, failing on anything but a 200.
func getBody(t *testing.T, url string, hdr map[string]string) string {
	t.Helper()
	resp, body := do(t, "GET", url, nil, hdr)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return body
}

// TestCacheInvalidationAfterUnsafeMethods: a 2xx answer to POST, PUT,
// DELETE or PATCH invalidates the target URI's entry, so the next GET
// reaches the origin (RFC 9111 §4.4); an error answer (500, 404) does not.
// nginx proxy_cache does not invalidate: it serves the old entry until it
// expires.
func TestCacheInvalidationAfterUnsafeMethods(t *testing.T) {
	for _, c := range cacheTargets(t, versionedOrigin(), condRule) {
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
			url := c.url + "/r/" + m
			getBody(t, url, nil)
			c.settle()
			if b := getBody(t, url, nil); b != "/r/"+m+" v0" {
				t.Fatalf("%s %s: second GET %q", c.name, m, b)
			}
			if resp, _ := do(t, m, url, strings.NewReader("x"), nil); resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d", c.name, m, resp.StatusCode)
			}
			want := "/r/" + m + " v1"
			if c.name == "nginx" {
				want = "/r/" + m + " v0"
			}
			if b := getBody(t, url, nil); b != want {
				t.Errorf("%s: GET after %s: %q, want %q", c.name, m, b, want)
			}
		}
		for _, status := range []string{"500", "404"} {
			url := c.url + "/r/err" + status
			getBody(t, url, nil)
			c.settle()
			do(t, "POST", url, nil, map[string]string{"X-Status": status})
			if b := getBody(t, url, nil); b != "/r/err"+status+" v0" {
				t.Errorf("%s: GET after a POST answered %s: %q, want the stored v0", c.name, status, b)
			}
		}
	}
}

// TestCacheInvalidationLocation: the same-origin Location and
// Content-Location of a non-error answer to an unsafe request are
// invalidated too (relative, absolute with the request's host); another
// host's are not. nginx invalidates nothing.
func TestCacheInvalidationLocation(t *testing.T) {
	for _, c := range cacheTargets(t, versionedOrigin(), condRule) {
		host := strings.TrimPrefix(c.url, "http://")
		cases := []struct {
			name, header, value, target string
			invalidated                 bool
		}{
			{"Location path", "X-Location", "/items/1", "/items/1", true},
			{"Location relative", "X-Location", "2", "/items/2", true},
			{"Location absolute", "X-Location", "http://" + host + "/items/3?x=1", "/items/3?x=1", true},
			{"Content-Location", "X-Content-Location", "/items/4", "/items/4", true},
			{"Location other host", "X-Location", "http://other.example/items/5", "/items/5", false},
		}
		for _, k := range cases {
			path := k.target
			if i := strings.IndexByte(path, '?'); i >= 0 {
				path = path[:i]
			}
			getBody(t, c.url+k.target, nil)
			c.settle()
			// The origin changes the created resource too (X-Bumps), as a
			// POST to a collection changes the member it creates.
			resp, _ := do(t, "POST", c.url+"/items/", strings.NewReader("new"), map[string]string{k.header: k.value, "X-Bumps": path})
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: POST %d", c.name, k.name, resp.StatusCode)
			}
			want := path + " v0"
			if k.invalidated && c.name == "premier" {
				want = path + " v1"
			}
			if b := getBody(t, c.url+k.target, nil); b != want {
				t.Errorf("%s %s: GET %s after the POST: %q, want %q", c.name, k.name, k.target, b, want)
			}
		}
	}
}

// TestCacheInvalidationKeyTemplate: on a rule with a cache_key template
// (the host put in front of it) the unsafe request purges the key a GET
// for the same URI and host is stored under, and only that host's entry.
func TestCacheInvalidationKeyTemplate(t *testing.T) {
	o := origintest.Start(t, versionedOrigin())
	g := startGateway(t, configYAML(o.URL(), `  paths:
    - pattern: "/things/{id}"
      features:
        cache: {cache_key: "thing:{id}"}
`))
	a, b := map[string]string{"Host": "a.example"}, map[string]string{"Host": "b.example"}
	getBody(t, g.url+"/things/9", a)
	getBody(t, g.url+"/things/9", b)
	g.gw.cache.Wait()
	if resp, _ := do(t, "PUT", g.url+"/things/9", strings.NewReader("x"), a); resp.StatusCode != 200 {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	if got := getBody(t, g.url+"/things/9", a); got != "/things/9 v1" {
		t.Errorf("a.example after its PUT: %q", got)
	}
	if got := getBody(t, g.url+"/things/9", b); got != "/things/9 v0" {
		t.Errorf("b.example, whose entry has its own key: %q", got)
	}
	if n := o.Count("/things/9"); n != 4 {
		t.Errorf("origin saw %d requests, want 4 (2 fills, the PUT, 1 refill)", n)
	}
}

// TestCacheInvalidationThroughRedis: instances sharing Redis drop the
// entry an unsafe request through another instance invalidated.
func TestCacheInvalidationThroughRedis(t *testing.T) {
	r := redistest.Start(t)
	o := origintest.Start(t, versionedOrigin())
	cfg := fmt.Sprintf("premier:\n  keyspace: inval\n  servers: [%q]\n  redis: {url: %q}\n%s", o.URL(), r.URL(), condRule)
	a, b := startGateway(t, cfg), startGateway(t, cfg)
	host := map[string]string{"Host": "api.example"}
	getBody(t, a.url+"/doc", host)
	rc, err := newRedisClient(&config.RedisConfig{URL: r.URL(), Timeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	waitFor(t, "A's entry in Redis", func() bool {
		keys, _ := rc.Do(context.Background(), rc.B().Keys().Pattern("inval*").Build()).AsStrSlice()
		return len(keys) > 0
	})
	waitFor(t, "B serving A's entry from memory", func() bool {
		resp, body := do(t, "GET", b.url+"/doc", nil, host)
		return resp.Header.Get("X-Cache") == "HIT" && body == "/doc v0" && !strings.Contains(resp.Header.Get("Cache-Status"), "redis")
	})
	if resp, _ := do(t, "DELETE", a.url+"/doc", nil, host); resp.StatusCode != 200 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	waitFor(t, "B dropping the entry", func() bool { return getBody(t, b.url+"/doc", host) == "/doc v1" })
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
