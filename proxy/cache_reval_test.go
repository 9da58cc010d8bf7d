package proxy

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/origintest"
	"github.com/premier-gateway/premier/proxy/metrics"
)

// Validation and stale content (RFC 9111 §4.3, RFC 5861), each case run
// against Premier and a caching nginx (cacheTargets). The rows of the
// "Validation and stale content" table in docs/caching.md name these tests.

const (
	revalRule = "  paths:\n    - pattern: \"/*\"\n      features: {cache: {}}\n"
	lastMod   = "Mon, 07 Dec 2026 10:00:00 GMT"
	// shortLife is the lifetime of the responses these tests let go stale:
	// max-age=2, not 1, because the origin's Date comes from fasthttp's
	// once-a-second clock, which on a busy machine lags by a second, so
	// Premier (RFC 9111 §4.2.3) would count a second of age and a max-age=1
	// response would arrive already stale.
	shortLife = "max-age=2"
	// staleWait is past shortLife for both caches: nginx keeps expiry in
	// whole seconds, so an entry stored at S.x is stale from S+3. Each test
	// sleeps once, for both targets together.
	staleWait = 3050 * time.Millisecond
	// premierStale is past shortLife for Premier alone.
	premierStale = 2100 * time.Millisecond
)

// eachTarget runs first on every target, sleeps staleWait once, then runs
// then on every target.
func eachTarget(cs []cacheTarget, first, then func(c cacheTarget)) {
	for _, c := range cs {
		first(c)
	}
	time.Sleep(staleWait)
	for _, c := range cs {
		then(c)
	}
}

// cacheVerdict is what a cache said it did: Premier's X-Cache, nginx's
// X-Cache-Status.
func cacheVerdict(h interface{ Get(string) string }) string {
	return h.Get("X-Cache") + h.Get("X-Cache-Status")
}

// TestCacheRevalidation304MergesHeaders: a stale entry with an ETag and a
// Last-Modified is revalidated with If-None-Match and If-Modified-Since; the
// origin's 304 carries a new header value and a new max-age, and the entry
// is served with the new header and is fresh again (no third origin
// request).
func TestCacheRevalidation304MergesHeaders(t *testing.T) {
	handler := func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Response.Header
		h.Set("ETag", `"v1"`)
		h.Set("Last-Modified", lastMod)
		if string(ctx.Request.Header.Peek("If-None-Match")) == `"v1"` {
			h.Set("Cache-Control", "max-age=60")
			h.Set("X-Meta", "from-304")
			ctx.SetStatusCode(fasthttp.StatusNotModified)
			return
		}
		h.Set("Cache-Control", shortLife)
		h.Set("X-Meta", "from-200")
		ctx.SetBodyString("the body")
	}
	eachTarget(cacheTargets(t, handler, revalRule), func(c cacheTarget) {
		if resp, body := do(t, "GET", c.url+"/r", nil, nil); resp.StatusCode != 200 || body != "the body" {
			t.Fatalf("%s: first: %d %q", c.name, resp.StatusCode, body)
		}
	}, func(c cacheTarget) {
		resp, body := do(t, "GET", c.url+"/r", nil, nil)
		if resp.StatusCode != 200 || body != "the body" {
			t.Fatalf("%s: revalidated: %d %q", c.name, resp.StatusCode, body)
		}
		seen := c.origin.Seen("/r")
		if len(seen) != 2 || seen[1].IfNoneMatch != `"v1"` || seen[1].IfModifiedSince != lastMod {
			t.Fatalf("%s: origin saw %+v", c.name, seen)
		}
		merged := resp.Header.Get("X-Meta")
		c.settle()
		resp3, body3 := do(t, "GET", c.url+"/r", nil, nil)
		if body3 != "the body" || c.origin.Count("/r") != 2 {
			t.Fatalf("%s: after the 304 the entry is not fresh: %q, %d origin requests", c.name, body3, c.origin.Count("/r"))
		}
		switch c.name {
		case "premier":
			if merged != "from-304" || resp.Header.Get("X-Cache") != "REVALIDATED" ||
				!strings.Contains(resp.Header.Get("Cache-Status"), "fwd=stale; fwd-status=304; stored") {
				t.Errorf("premier: 304 answer: X-Meta %q, %v", merged, resp.Header)
			}
			if resp3.Header.Get("X-Meta") != "from-304" || resp3.Header.Get("X-Cache") != "HIT" {
				t.Errorf("premier: later hit: %v", resp3.Header)
			}
		case "nginx":
			// nginx refreshes the entry's validity but keeps the stored
			// header fields (the docs table records this).
			if cacheVerdict(resp.Header) != "REVALIDATED" || merged != "from-200" {
				t.Errorf("nginx: 304 answer: X-Meta %q, %v", merged, resp.Header)
			}
		}
	})
}

// TestCacheNoCacheRevalidatesEveryUse: a response with Cache-Control:
// no-cache and an ETag is stored and revalidated on every use; a 304
// serves the stored body (the origin sends it once).
func TestCacheNoCacheRevalidatesEveryUse(t *testing.T) {
	var bodies atomic.Int64
	handler := func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Response.Header
		h.Set("ETag", `"nc"`)
		h.Set("Cache-Control", "no-cache")
		if string(ctx.Request.Header.Peek("If-None-Match")) == `"nc"` {
			ctx.SetStatusCode(fasthttp.StatusNotModified)
			return
		}
		bodies.Add(1)
		ctx.SetBodyString("revalidate me")
	}
	for _, c := range cacheTargets(t, handler, revalRule) {
		bodies.Store(0)
		for i := 0; i < 3; i++ {
			if resp, body := do(t, "GET", c.url+"/nc", nil, nil); resp.StatusCode != 200 || body != "revalidate me" {
				t.Fatalf("%s request %d: %d %q", c.name, i, resp.StatusCode, body)
			}
			c.settle()
		}
		if n := c.origin.Count("/nc"); n != 3 {
			t.Errorf("%s: origin saw %d requests, want 3 (no-cache: every use goes to it)", c.name, n)
		}
		switch c.name {
		case "premier":
			if n := bodies.Load(); n != 1 {
				t.Errorf("premier: origin sent the body %d times, want 1 (then 304s): %+v", n, c.origin.Seen("/nc"))
			}
		case "nginx":
			if n := bodies.Load(); n != 3 { // nginx does not store no-cache responses
				t.Errorf("nginx: origin sent the body %d times, want 3", n)
			}
		}
	}
}

// TestCacheMustRevalidateNotServedStale: must-revalidate forbids serving
// the stale entry when the origin fails, even with the rule's
// stale_if_error default; the client gets the error.
func TestCacheMustRevalidateNotServedStale(t *testing.T) {
	var fail atomic.Bool
	handler := func(ctx *fasthttp.RequestCtx) {
		if fail.Load() {
			ctx.SetStatusCode(500)
			return
		}
		ctx.Response.Header.Set("Cache-Control", shortLife+", must-revalidate, stale-if-error=60")
		ctx.SetBodyString("strict")
	}
	rule := "  paths:\n    - pattern: \"/*\"\n      features: {cache: {stale_if_error: 60}}\n"
	eachTarget(cacheTargets(t, handler, rule, "proxy_cache_use_stale error timeout http_500;"), func(c cacheTarget) {
		do(t, "GET", c.url+"/mr", nil, nil)
	}, func(c cacheTarget) {
		fail.Store(true)
		resp, body := do(t, "GET", c.url+"/mr", nil, nil)
		switch c.name {
		case "premier":
			if resp.StatusCode != 500 {
				t.Errorf("premier: must-revalidate entry served stale: %d %q", resp.StatusCode, body)
			}
		case "nginx":
			// nginx's proxy_cache_use_stale does not look at
			// must-revalidate: it serves the stale entry.
			if resp.StatusCode != 200 || cacheVerdict(resp.Header) != "STALE" {
				t.Errorf("nginx: %d %v", resp.StatusCode, resp.Header)
			}
		}
	})
}

// TestCacheStaleIfErrorOriginDown: with stale-if-error in the response, a
// stale entry is served when the origin is down (connections refused) and
// when it answers 500.
func TestCacheStaleIfErrorOriginDown(t *testing.T) {
	var fail atomic.Bool
	handler := func(ctx *fasthttp.RequestCtx) {
		if fail.Load() {
			ctx.SetStatusCode(500)
			return
		}
		ctx.Response.Header.Set("Cache-Control", shortLife+", stale-if-error=60")
		ctx.Response.Header.Set("ETag", `"e"`)
		ctx.SetBodyString("still here")
	}
	eachTarget(cacheTargets(t, handler, revalRule, "proxy_cache_use_stale error timeout http_500;"), func(c cacheTarget) {
		do(t, "GET", c.url+"/sie", nil, nil)
		do(t, "GET", c.url+"/sie500", nil, nil)
	}, func(c cacheTarget) {
		fail.Store(true)
		resp, body := do(t, "GET", c.url+"/sie500", nil, nil)
		if resp.StatusCode != 200 || body != "still here" {
			t.Errorf("%s: origin 500: %d %q", c.name, resp.StatusCode, body)
		}
		c.origin.Stop()
		resp2, body2 := do(t, "GET", c.url+"/sie", nil, nil)
		if resp2.StatusCode != 200 || body2 != "still here" {
			t.Errorf("%s: origin down: %d %q", c.name, resp2.StatusCode, body2)
		}
		if c.name == "premier" {
			for _, r := range []interface{ Get(string) string }{resp.Header, resp2.Header} {
				if r.Get("X-Cache") != "STALE" || !strings.Contains(r.Get("Cache-Status"), "detail=stale-if-error") {
					t.Errorf("premier: stale answer headers: %v", r)
				}
			}
			if !strings.Contains(resp.Header.Get("Cache-Status"), "fwd-status=500") {
				t.Errorf("premier: Cache-Status %q lacks fwd-status=500", resp.Header.Get("Cache-Status"))
			}
		} else if cacheVerdict(resp2.Header) != "STALE" {
			t.Errorf("nginx: %v", resp2.Header)
		}
	})
}

// TestCacheStaleIfErrorRuleDefault: the rule's stale_if_error applies to a
// response without the directive; without it the client gets the error.
func TestCacheStaleIfErrorRuleDefault(t *testing.T) {
	var fail atomic.Bool
	handler := func(ctx *fasthttp.RequestCtx) {
		if fail.Load() {
			ctx.SetStatusCode(503)
			return
		}
		ctx.Response.Header.Set("Cache-Control", shortLife)
		ctx.SetBodyString("default")
	}
	rules := "  paths:\n    - pattern: \"/with/*\"\n      features: {cache: {stale_if_error: 30}}\n" +
		"    - pattern: \"/without/*\"\n      features: {cache: {}}\n"
	// Premier only: nginx's equivalent is proxy_cache_use_stale, per location.
	o := origintest.Start(t, handler)
	g := startGateway(t, configYAML(o.URL(), rules))
	for _, c := range []cacheTarget{{"premier", g.url, o, g.gw.cache.Wait}} {
		do(t, "GET", c.url+"/with/x", nil, nil)
		do(t, "GET", c.url+"/without/x", nil, nil)
		time.Sleep(premierStale)
		fail.Store(true)
		if resp, body := do(t, "GET", c.url+"/with/x", nil, nil); resp.StatusCode != 200 || body != "default" {
			t.Errorf("with stale_if_error: %d %q", resp.StatusCode, body)
		}
		if resp, _ := do(t, "GET", c.url+"/without/x", nil, nil); resp.StatusCode != 503 {
			t.Errorf("without stale_if_error: %d, want the origin's 503", resp.StatusCode)
		}
	}
}

// TestCacheStaleWhileRevalidate100: 100 concurrent requests for a stale
// entry with stale-while-revalidate are all answered at once with the stale
// body, and the origin sees ONE background refresh (conditional); the
// refreshed entry is then served fresh.
func TestCacheStaleWhileRevalidate100(t *testing.T) {
	const swrHold = 4 * time.Second
	var version atomic.Int64
	version.Store(1)
	var held atomic.Pointer[chan struct{}] // closed once the 100 are answered
	handler := func(ctx *fasthttp.RequestCtx) {
		if version.Load() > 1 {
			// The refresh is held until the 100 have their answers (at
			// most swrHold, so a cache that makes one wait still finishes).
			select {
			case <-*held.Load():
			case <-time.After(swrHold):
			}
		}
		v := version.Load()
		ctx.Response.Header.Set("Cache-Control", shortLife+", stale-while-revalidate=30")
		if v > 1 {
			ctx.Response.Header.Set("Cache-Control", "max-age=60") // the refresh stays fresh
		}
		ctx.Response.Header.Set("ETag", `"`+string(rune('0'+v))+`"`)
		ctx.SetBodyString("version " + string(rune('0'+v)))
	}
	eachTarget(cacheTargets(t, handler, revalRule,
		"proxy_cache_use_stale updating;", "proxy_cache_background_update on;"), func(c cacheTarget) {
		do(t, "GET", c.url+"/swr", nil, nil)
	}, func(c cacheTarget) {
		release := make(chan struct{})
		held.Store(&release)
		version.Store(2)
		var wg sync.WaitGroup
		var stale, fresh atomic.Int64
		start := time.Now()
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, body := do(t, "GET", c.url+"/swr", nil, nil)
				switch {
				case resp.StatusCode == 200 && body == "version 1":
					stale.Add(1)
				case resp.StatusCode == 200 && body == "version 2":
					fresh.Add(1) // after the refresh landed
				default:
					t.Errorf("%s: %d %q", c.name, resp.StatusCode, body)
				}
			}()
		}
		wg.Wait()
		took := time.Since(start)
		close(release)
		// nginx answers the request that started the update once it ends,
		// with the stale or the new body.
		if stale.Load()+fresh.Load() != 100 || c.name == "premier" && stale.Load() != 100 {
			t.Errorf("%s: %d of 100 got the stale body, %d the new one", c.name, stale.Load(), fresh.Load())
		}
		t.Logf("%s: %d stale, %d refreshed", c.name, stale.Load(), fresh.Load())
		// nginx sometimes holds the answer of the request that started the
		// background update until the update ends (the docs say so), so
		// only Premier's time is asserted.
		if c.name == "premier" && took >= swrHold-500*time.Millisecond {
			t.Errorf("premier: 100 stale answers took %v: one waited for the refresh", took)
		}
		t.Logf("%s: 100 answers in %v", c.name, took)
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, body := do(t, "GET", c.url+"/swr", nil, nil)
			if body == "version 2" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the background refresh never landed", c.name)
			}
			time.Sleep(50 * time.Millisecond)
		}
		seen := c.origin.Seen("/swr")
		if len(seen) != 2 {
			t.Errorf("%s: origin saw %d requests, want 2 (one background refresh)", c.name, len(seen))
		} else if seen[1].IfNoneMatch != `"1"` {
			t.Errorf("%s: refresh was not conditional: %+v", c.name, seen[1])
		}
		version.Store(1)
	})
}

// TestCacheHeadRefreshes: a HEAD for a stale entry is revalidated with a
// conditional HEAD; the 304 refreshes the stored GET response, so the next
// GET is a hit without the origin.
func TestCacheHeadRefreshes(t *testing.T) {
	handler := func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Response.Header
		h.Set("ETag", `"h"`)
		if string(ctx.Request.Header.Peek("If-None-Match")) == `"h"` {
			h.Set("Cache-Control", "max-age=60")
			ctx.SetStatusCode(fasthttp.StatusNotModified)
			return
		}
		h.Set("Cache-Control", shortLife)
		ctx.SetBodyString("head me")
	}
	eachTarget(cacheTargets(t, handler, revalRule), func(c cacheTarget) {
		do(t, "GET", c.url+"/h", nil, nil)
	}, func(c cacheTarget) {
		resp, _ := do(t, "HEAD", c.url+"/h", nil, nil)
		if resp.StatusCode != 200 || resp.ContentLength != int64(len("head me")) {
			t.Errorf("%s: HEAD: %d, Content-Length %d", c.name, resp.StatusCode, resp.ContentLength)
		}
		c.settle()
		resp, body := do(t, "GET", c.url+"/h", nil, nil)
		if body != "head me" || c.origin.Count("/h") != 2 {
			t.Errorf("%s: GET after the HEAD: %q, origin saw %+v", c.name, body, c.origin.Seen("/h"))
		}
		seen := c.origin.Seen("/h")
		if c.name == "premier" {
			if len(seen) == 2 && (seen[1].Method != "HEAD" || seen[1].IfNoneMatch != `"h"`) {
				t.Errorf("premier: the refresh was %+v, want a conditional HEAD", seen[1])
			}
			if resp.Header.Get("X-Cache") != "HIT" {
				t.Errorf("premier: GET after the HEAD refresh: %v", resp.Header)
			}
		} else if len(seen) == 2 && seen[1].Method != "GET" {
			// nginx turns the HEAD into a conditional GET (proxy_cache_convert_head).
			t.Errorf("nginx: the refresh was %+v", seen[1])
		}
	})
}

// TestCacheRevalidationsCounted: the dashboard snapshot and /metrics count
// what became of stale entries per rule, including the outcome of a
// background refresh.
func TestCacheRevalidationsCounted(t *testing.T) {
	handler := func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("ETag", `"c"`)
		ctx.Response.Header.Set("Cache-Control", shortLife)
		if string(ctx.Request.Header.Peek("If-None-Match")) == `"c"` {
			ctx.SetStatusCode(fasthttp.StatusNotModified)
			return
		}
		ctx.SetBodyString("counted")
	}
	o := origintest.Start(t, handler)
	rules := "  paths:\n    - pattern: \"/fg/*\"\n      features: {cache: {}}\n" +
		"    - pattern: \"/bg/*\"\n      features: {cache: {stale_while_revalidate: 30}}\n"
	g := startGateway(t, configYAML(o.URL(), rules))
	do(t, "GET", g.url+"/fg/x", nil, nil)
	do(t, "GET", g.url+"/bg/x", nil, nil)
	time.Sleep(premierStale)
	do(t, "GET", g.url+"/fg/x", nil, nil) // revalidated in the foreground
	if resp, _ := do(t, "GET", g.url+"/bg/x", nil, nil); resp.Header.Get("X-Cache") != "STALE" {
		t.Fatalf("/bg/x not served stale: %v", resp.Header)
	}
	want := map[string]map[string]uint64{
		"/fg/*": {"not-modified": 1},
		"/bg/*": {"stale-while-revalidate": 1, "not-modified": 1},
	}
	deadline := time.Now().Add(5 * time.Second)
	for route, counts := range want {
		for {
			r, _ := g.gw.metrics.Route(route, time.Now())
			got := map[string]uint64{}
			for _, rc := range r.Cache.Revalidations {
				got[rc.Reason] = rc.Count
			}
			if len(got) == len(counts) && got["not-modified"] == counts["not-modified"] &&
				got["stale-while-revalidate"] == counts["stale-while-revalidate"] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: revalidations %v, want %v", route, got, counts)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var b strings.Builder
	g.gw.metrics.WritePrometheus(&b, &metrics.State{})
	if !strings.Contains(b.String(), `premier_cache_revalidations_total{route="/bg/*",result="not-modified"} 1`) {
		t.Errorf("/metrics lacks the background refresh's outcome:\n%s", b.String())
	}
}

// TestCacheRefreshOwnedByGateway: Close waits for a running background
// refresh, which gives back what it took of the body budget, and a refresh
// is not started once the gateway is closed.
func TestCacheRefreshOwnedByGateway(t *testing.T) {
	var finished atomic.Int64
	handler := func(ctx *fasthttp.RequestCtx) {
		if len(ctx.Request.Header.Peek("If-None-Match")) > 0 {
			time.Sleep(400 * time.Millisecond)
			defer finished.Add(1)
		}
		ctx.Response.Header.Set("ETag", `"o"`)
		ctx.Response.Header.Set("Cache-Control", shortLife+", stale-while-revalidate=30")
		if len(ctx.Request.Header.Peek("If-None-Match")) > 0 {
			// A changed body over upstream.FreeBody: read whole against
			// the body budget, which the refresh must give back.
			ctx.Response.Header.Set("ETag", `"o2"`)
			ctx.SetBody(make([]byte, 256<<10))
			return
		}
		ctx.SetBodyString("owned")
	}
	o := origintest.Start(t, handler)
	g := startGateway(t, configYAML(o.URL(), revalRule))
	do(t, "GET", g.url+"/own", nil, nil)
	time.Sleep(premierStale)
	if resp, _ := do(t, "GET", g.url+"/own", nil, nil); resp.Header.Get("X-Cache") != "STALE" {
		t.Fatalf("not served stale: %v", resp.Header)
	}
	time.Sleep(100 * time.Millisecond) // the refresh is at the origin
	g.gw.Close()
	if finished.Load() != 1 {
		t.Fatalf("Close returned before the running refresh ended")
	}
	if g.gw.refreshes.start() {
		t.Errorf("a refresh could start after Close")
	}
	if n := g.gw.bodies.Used(); n != 0 {
		t.Errorf("the refresh kept %d bytes of the body budget", n)
	}
}

// TestCacheUnselected304RefetchesUnconditionally: a 304 to the cache's
// revalidation whose strong ETag is not the stored one (two origin nodes
// tagging differently, or a representation changed between) selects no
// stored response (RFC 9111 §4.3.4): Premier neither refreshes nor serves
// the stale entry with it, but sends the request once more without its
// validators and stores the 200 it gets.
func TestCacheUnselected304RefetchesUnconditionally(t *testing.T) {
	handler := func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Response.Header
		h.Set("Cache-Control", shortLife)
		if len(ctx.Request.Header.Peek("If-None-Match")) > 0 {
			h.Set("ETag", `"v2"`)
			ctx.SetStatusCode(fasthttp.StatusNotModified)
			return
		}
		if string(ctx.Path()) == "/u" && ctx.Request.Header.Peek("X-Round")[0] == '2' {
			h.Set("ETag", `"v2"`)
			ctx.SetBodyString("two")
			return
		}
		h.Set("ETag", `"v1"`)
		ctx.SetBodyString("one")
	}
	round := func(n string) map[string]string { return map[string]string{"X-Round": n} }
	eachTarget(cacheTargets(t, handler, revalRule), func(c cacheTarget) {
		if resp, body := do(t, "GET", c.url+"/u", nil, round("1")); resp.StatusCode != 200 || body != "one" {
			t.Fatalf("%s: first: %d %q", c.name, resp.StatusCode, body)
		}
		c.settle()
	}, func(c cacheTarget) {
		resp, body := do(t, "GET", c.url+"/u", nil, round("2"))
		seen := c.origin.Seen("/u")
		switch c.name {
		case "premier":
			if resp.StatusCode != 200 || body != "two" || resp.Header.Get("ETag") != `"v2"` {
				t.Fatalf("premier: %d %q %v", resp.StatusCode, body, resp.Header)
			}
			if len(seen) != 3 || seen[1].IfNoneMatch != `"v1"` || seen[2].IfNoneMatch != "" {
				t.Fatalf("premier: origin saw %+v", seen)
			}
			c.settle()
			resp3, body3 := do(t, "GET", c.url+"/u", nil, round("3"))
			if body3 != "two" || resp3.Header.Get("X-Cache") != "HIT" || c.origin.Count("/u") != 3 {
				t.Fatalf("premier: the 200 was not stored: %q %v, %d origin requests", body3, resp3.Header, c.origin.Count("/u"))
			}
		case "nginx":
			// nginx takes any 304 to its revalidation as a refresh and
			// serves the stored body under the old tag (docs table).
			if resp.StatusCode != 200 || body != "one" || len(seen) != 2 {
				t.Fatalf("nginx: %d %q, origin saw %+v", resp.StatusCode, body, seen)
			}
		}
	})
}

// TestCacheStaleDirectivesFromTargetedField: the targeted field replaces
// Cache-Control for this cache's stale decisions too (RFC 9213 §2.1), though
// it is not stored with the response: CDN-Cache-Control's stale-if-error
// is honoured where Cache-Control says must-revalidate (/cdn-sie), and its
// must-revalidate wins over Cache-Control's stale-if-error (/cdn-mr).
func TestCacheStaleDirectivesFromTargetedField(t *testing.T) {
	var fail atomic.Bool
	handler := func(ctx *fasthttp.RequestCtx) {
		if fail.Load() {
			ctx.SetStatusCode(500)
			return
		}
		h := &ctx.Response.Header
		if string(ctx.Path()) == "/cdn-sie" {
			h.Set("CDN-Cache-Control", shortLife+", stale-if-error=60")
			h.Set("Cache-Control", shortLife+", must-revalidate")
		} else {
			h.Set("CDN-Cache-Control", shortLife+", must-revalidate")
			h.Set("Cache-Control", shortLife+", stale-if-error=60")
		}
		ctx.SetBodyString("old")
	}
	eachTarget(cacheTargets(t, handler, revalRule), func(c cacheTarget) {
		do(t, "GET", c.url+"/cdn-sie", nil, nil)
		do(t, "GET", c.url+"/cdn-mr", nil, nil)
	}, func(c cacheTarget) {
		fail.Store(true)
		sie, sieBody := do(t, "GET", c.url+"/cdn-sie", nil, nil)
		mr, _ := do(t, "GET", c.url+"/cdn-mr", nil, nil)
		switch c.name {
		case "premier":
			if sie.StatusCode != 200 || sieBody != "old" || sie.Header.Get("X-Cache") != "STALE" {
				t.Errorf("premier: CDN-Cache-Control stale-if-error: %d %q %v", sie.StatusCode, sieBody, sie.Header)
			}
			if mr.StatusCode != 500 {
				t.Errorf("premier: CDN-Cache-Control must-revalidate: served %d", mr.StatusCode)
			}
		case "nginx":
			// nginx reads no targeted field, and without
			// proxy_cache_use_stale it serves neither stale.
			if sie.StatusCode != 500 || mr.StatusCode != 500 {
				t.Errorf("nginx: /cdn-sie %d, /cdn-mr %d", sie.StatusCode, mr.StatusCode)
			}
		}
	})
}

// TestCacheVariantETagsSent: for a variant it does not hold, Premier asks
// with the ETags of the variants it does (RFC 9111 §4.3.1); the origin's
// 304 naming one of them serves that variant's body for the new header
// value (§4.3.4) and stores it, so the body crosses the network once.
func TestCacheVariantETagsSent(t *testing.T) {
	var bodies atomic.Int64
	handler := func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Response.Header
		h.Set("Cache-Control", "max-age=60")
		h.Set("Vary", "X-Lang")
		h.Set("ETag", `"doc"`)
		if strings.Contains(string(ctx.Request.Header.Peek("If-None-Match")), `"doc"`) {
			ctx.SetStatusCode(fasthttp.StatusNotModified)
			return
		}
		bodies.Add(1)
		ctx.SetBodyString("document")
	}
	for _, c := range cacheTargets(t, handler, revalRule) {
		bodies.Store(0)
		lang := func(v string) map[string]string { return map[string]string{"X-Lang": v} }
		if resp, body := do(t, "GET", c.url+"/v", nil, lang("en")); resp.StatusCode != 200 || body != "document" {
			t.Fatalf("%s: first: %d %q", c.name, resp.StatusCode, body)
		}
		c.settle()
		resp, body := do(t, "GET", c.url+"/v", nil, lang("en-US"))
		if resp.StatusCode != 200 || body != "document" {
			t.Fatalf("%s: other variant: %d %q", c.name, resp.StatusCode, body)
		}
		seen := c.origin.Seen("/v")
		switch c.name {
		case "premier":
			if len(seen) != 2 || seen[1].IfNoneMatch != `"doc"` || bodies.Load() != 1 {
				t.Fatalf("premier: origin saw %+v, sent %d bodies", seen, bodies.Load())
			}
			if resp.Header.Get("X-Cache") != "REVALIDATED" || resp.Header.Get("Vary") != "X-Lang" {
				t.Errorf("premier: %v", resp.Header)
			}
			c.settle()
			resp3, body3 := do(t, "GET", c.url+"/v", nil, lang("en-US"))
			if body3 != "document" || resp3.Header.Get("X-Cache") != "HIT" || c.origin.Count("/v") != 2 {
				t.Fatalf("premier: the new variant was not stored: %q %v", body3, resp3.Header)
			}
		case "nginx":
			// nginx asks for the new variant unconditionally.
			if len(seen) != 2 || seen[1].IfNoneMatch != "" || bodies.Load() != 2 {
				t.Fatalf("nginx: origin saw %+v, sent %d bodies", seen, bodies.Load())
			}
		}
	}
}
