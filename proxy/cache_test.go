package proxy

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/redistest"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/ui/source"
)

func cachedBackend(t *testing.T, hits *atomic.Int32, body []byte) string {
	return startBackend(t, func(ctx *fasthttp.RequestCtx) {
		hits.Add(1)
		switch string(ctx.Path()) {
		case "/slow":
			time.Sleep(200 * time.Millisecond)
		case "/private":
			ctx.Response.Header.Set("Cache-Control", "private")
		case "/cookie":
			ctx.Response.Header.Set("Set-Cookie", "a=b")
		}
		ctx.SetContentType("application/octet-stream")
		ctx.SetBody(body)
	})
}

const cacheRules = `  paths:
    - pattern: "/api/users/{id}"
      features:
        cache: {expire_s: 60, cache_key: "user:{id}"}
    - pattern: "/*"
      features:
        cache: {expire_s: 60}
`

func TestCacheHitMissAndBodiesIntact(t *testing.T) {
	var hits atomic.Int32
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	h := startGateway(t, configYAML(cachedBackend(t, &hits, body), cacheRules))
	resp, got := do(t, "GET", h.url+"/big", nil, nil)
	if resp.Header.Get("X-Cache") != "MISS" || got != string(body) {
		t.Fatalf("miss: X-Cache %q, %d bytes", resp.Header.Get("X-Cache"), len(got))
	}
	h.gw.cache.Wait() // the memory tier applies a store asynchronously
	resp, got = do(t, "GET", h.url+"/big", nil, nil)
	if resp.Header.Get("X-Cache") != "HIT" || got != string(body) || resp.ContentLength != int64(len(body)) {
		t.Fatalf("hit: X-Cache %q, %d bytes, Content-Length %d", resp.Header.Get("X-Cache"), len(got), resp.ContentLength)
	}
	if resp.Header.Get("Age") == "" || !strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
		t.Fatalf("hit headers: %v", resp.Header)
	}
	if hits.Load() != 1 {
		t.Fatalf("backend hits %d", hits.Load())
	}
	// HEAD is served from the GET entry; POST is never cached.
	if resp, _ := do(t, "HEAD", h.url+"/big", nil, nil); resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("HEAD: %v", resp.Header)
	}
	do(t, "POST", h.url+"/big", strings.NewReader("x"), nil)
	do(t, "POST", h.url+"/big", strings.NewReader("x"), nil)
	if hits.Load() != 3 {
		t.Fatalf("POST cached: %d hits", hits.Load())
	}
	// Responses that must not be stored are not.
	for _, p := range []string{"/private", "/cookie"} {
		do(t, "GET", h.url+p, nil, nil)
		if resp, _ := do(t, "GET", h.url+p, nil, nil); resp.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("%s stored", p)
		}
	}
	// The cache_key template: the same user id shares an entry.
	hits.Store(0)
	do(t, "GET", h.url+"/api/users/7?a=1", nil, nil)
	h.gw.cache.Wait()
	if resp, _ := do(t, "GET", h.url+"/api/users/7?b=2", nil, nil); resp.Header.Get("X-Cache") != "HIT" || hits.Load() != 1 {
		t.Fatalf("cache_key user:{id}: %v, %d hits", resp.Header.Get("X-Cache"), hits.Load())
	}
}

func TestCacheCollapsesConcurrentMisses(t *testing.T) {
	var hits atomic.Int32
	h := startGateway(t, configYAML(cachedBackend(t, &hits, []byte("slow body")), cacheRules))
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := httpClient.Get(h.url + "/slow")
			if err != nil {
				bad.Add(1)
				return
			}
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || b.String() != "slow body" {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if hits.Load() != 1 || bad.Load() != 0 {
		t.Fatalf("40 cold requests made %d backend requests (%d bad answers)", hits.Load(), bad.Load())
	}
}

func TestCacheSharedThroughRedis(t *testing.T) {
	r := redistest.Start(t)
	var hitsA, hitsB atomic.Int32
	cfg := func(backend string) string {
		return fmt.Sprintf("premier:\n  keyspace: shared-cache\n  servers: [%q]\n  redis: {url: %q}\n%s", backend, r.URL(), cacheRules)
	}
	a := startGateway(t, cfg(cachedBackend(t, &hitsA, []byte("from A"))))
	b := startGateway(t, cfg(cachedBackend(t, &hitsB, []byte("from B"))))
	host := map[string]string{"Host": "api.example"} // the default key includes the host
	if _, body := do(t, "GET", a.url+"/shared", nil, host); body != "from A" {
		t.Fatal(body)
	}
	// A writes to Redis in the background: wait until its entry is there.
	rc, err := newRedisClient(&config.RedisConfig{URL: r.URL(), Timeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		keys, _ := rc.Do(context.Background(), rc.B().Keys().Pattern("shared-cache*").Build()).AsStrSlice()
		if len(keys) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("instance A never wrote its entry to Redis")
		}
		time.Sleep(10 * time.Millisecond)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		resp, body := do(t, "GET", b.url+"/shared", nil, host)
		if resp.Header.Get("X-Cache") == "HIT" && body == "from A" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance B never hit A's entry: %q %v", body, resp.Header)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if hitsB.Load() > 1 {
		t.Fatalf("instance B contacted its backend %d times", hitsB.Load())
	}
	// Redis dies: both keep serving.
	r.Stop()
	for _, g := range []*gwHarness{a, b} {
		if resp, _ := do(t, "GET", g.url+"/new-after-redis-died", nil, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("serving with Redis down: %d", resp.StatusCode)
		}
	}
}

func TestDashboardPurgesTheCache(t *testing.T) {
	var hits atomic.Int32
	backend := cachedBackend(t, &hits, []byte("v"))
	h, src, _ := startSourced(t, configYAML(backend, cacheRules))
	miss := func(path string) bool {
		resp, _ := do(t, "GET", h.url+path, nil, nil)
		return resp.Header.Get("X-Cache") == "MISS"
	}
	// The L1 cache may drop a set under load (ristretto's admission
	// buffers): ask until each path is served from the cache.
	for _, p := range []string{"/a", "/api/users/1"} {
		deadline := time.Now().Add(10 * time.Second)
		for miss(p) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never cached", p)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// A cache_key without {host} is keyed as if it began with "{host}|",
	// the host length-prefixed as every template value is.
	host := strings.TrimPrefix(h.url, "http://")
	if _, err := src.Purge(source.Purge{Rule: "/api/users/{id}", Key: fmt.Sprintf("%d:%s|user:1:1", len(host), host)}); err != nil {
		t.Fatal(err)
	}
	if !miss("/api/users/1") {
		t.Fatal("purge by key left the entry")
	}
	if _, err := src.Purge(source.Purge{Rule: "/*"}); err != nil {
		t.Fatal(err)
	}
	if !miss("/a") {
		t.Fatal("purge by rule left the entry")
	}
	if _, err := src.Purge(source.Purge{All: true}); err != nil {
		t.Fatal(err)
	}
	if !miss("/api/users/1") {
		t.Fatal("purge all left the entry")
	}
}
