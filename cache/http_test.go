package cache

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/wait"
)

func TestStorability(t *testing.T) {
	type tc struct {
		name    string
		backend fasthttp.RequestHandler
		hdrs    []string // request headers
		reason  string   // "" = stored
	}
	body := func(status int, hdrs ...string) fasthttp.RequestHandler {
		return func(ctx *fasthttp.RequestCtx) {
			ctx.SetStatusCode(status)
			for i := 0; i+1 < len(hdrs); i += 2 {
				ctx.Response.Header.Add(hdrs[i], hdrs[i+1])
			}
			if status != 204 {
				ctx.SetBodyString("body " + string(ctx.Path()))
			}
		}
	}
	cases := []tc{
		{name: "200", backend: body(200)},
		{name: "203", backend: body(203)},
		{name: "204", backend: body(204)},
		{name: "300", backend: body(300)},
		{name: "301", backend: body(301, "Location", "/x")},
		{name: "308", backend: body(308, "Location", "/x")},
		{name: "404", backend: body(404)},
		{name: "410", backend: body(410)},
		{name: "201", backend: body(201), reason: "status"},
		{name: "302", backend: body(302, "Location", "/x"), reason: "status"},
		{name: "400", backend: body(400), reason: "status"},
		{name: "500", backend: body(500), reason: "status"},
		{name: "502", backend: body(502), reason: "status"},
		{name: "503", backend: body(503, "Cache-Control", "max-age=60"), reason: "status"},
		{name: "206", backend: body(206, "Content-Range", "bytes 0-3/10"), reason: "partial"},
		{name: "content-range", backend: body(200, "Content-Range", "bytes 0-3/10"), reason: "partial"},
		{name: "set-cookie", backend: body(200, "Set-Cookie", "sid=A"), reason: "set-cookie"},
		{name: "no-store", backend: body(200, "Cache-Control", "no-store"), reason: "no-store"},
		{name: "private", backend: body(200, "Cache-Control", "max-age=60, private"), reason: "private"},
		{name: "no-cache", backend: body(200, "Cache-Control", "no-cache"), reason: "no-cache"},
		{name: "auth", backend: body(200, "Cache-Control", "max-age=60"), hdrs: []string{"Authorization", "Bearer A"}, reason: "authorization"},
		{name: "auth-public", backend: body(200, "Cache-Control", "public, max-age=60"), hdrs: []string{"Authorization", "Bearer A"}},
		{name: "auth-s-maxage", backend: body(200, "Cache-Control", "s-maxage=60"), hdrs: []string{"Authorization", "Bearer A"}},
		{name: "cookie", backend: body(200, "Cache-Control", "max-age=60"), hdrs: []string{"Cookie", "sid=A"}, reason: "cookie"},
		{name: "cookie-public", backend: body(200, "Cache-Control", "public, max-age=60"), hdrs: []string{"Cookie", "sid=A"}},
		{name: "cookie-s-maxage", backend: body(200, "Cache-Control", "s-maxage=60"), hdrs: []string{"Cookie", "sid=A"}},
		{name: "public-no-lifetime", backend: body(200, "Cache-Control", "public"), reason: "no-freshness"},
		{name: "vary-star", backend: body(200, "Vary", "*"), reason: "vary-star"},
		{name: "max-age-0", backend: body(200, "Cache-Control", "max-age=0"), reason: "expired"},
		{name: "aged-out", backend: body(200, "Cache-Control", "max-age=10", "Age", "10"), reason: "expired"},
		{name: "req-no-store", backend: body(200), hdrs: []string{"Cache-Control", "no-store"}, reason: "no-store"},
		{name: "streamed", backend: func(ctx *fasthttp.RequestCtx) {
			ctx.SetBodyStream(strings.NewReader("streamed body"), -1)
		}, reason: "streamed"},
		{name: "too-large", backend: func(ctx *fasthttp.RequestCtx) {
			ctx.SetBody(bytes.Repeat([]byte("x"), 100<<10))
		}, reason: "too-large"},
	}
	cfg := testConfig()
	cfg.MaxEntryBytes = 64 << 10
	g := newGateway(t, cfg)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g.t = t
			g.setBackend(tc.backend)
			path := "/" + tc.name
			before := g.hits.Load()
			r1 := g.get(path, tc.hdrs...)
			st := strconv.Itoa(r1.StatusCode())
			want := "premier; fwd=uri-miss; fwd-status=" + st + "; stored; ttl="
			if tc.reason != "" {
				want = "premier; fwd=uri-miss; fwd-status=" + st + "; detail=" + tc.reason
			}
			if xcache(r1) != "MISS" || !strings.HasPrefix(status(r1), want) {
				t.Fatalf("first: X-Cache %q Cache-Status %q, want MISS %q", xcache(r1), status(r1), want)
			}
			g.settle()
			r2 := g.get(path, tc.hdrs...)
			if tc.reason == "" {
				if xcache(r2) != "HIT" || g.hits.Load()-before != 1 {
					t.Fatalf("second: X-Cache %q, backend calls %d; want HIT, 1", xcache(r2), g.hits.Load()-before)
				}
				if r1.StatusCode() != r2.StatusCode() || !bytes.Equal(r1.Body(), r2.Body()) {
					t.Fatalf("hit differs: %d %q vs %d %q", r2.StatusCode(), r2.Body(), r1.StatusCode(), r1.Body())
				}
				if len(r2.Header.Peek("Set-Cookie")) != 0 {
					t.Fatal("hit replays Set-Cookie")
				}
			} else {
				if xcache(r2) != "MISS" || g.hits.Load()-before != 2 {
					t.Fatalf("second: X-Cache %q, backend calls %d; want MISS, 2", xcache(r2), g.hits.Load()-before)
				}
				if g.c.Stats().NotStored[tc.reason] == 0 {
					t.Fatalf("reason %q not counted", tc.reason)
				}
			}
		})
	}
	g.t = t
	if s := g.c.Stats(); s.Stores == 0 || s.Hits == 0 {
		t.Fatalf("stats: %+v", s)
	}
}

func TestBypassMethods(t *testing.T) {
	g := newGateway(t, testConfig())
	for range 2 {
		r := g.do(fasthttp.MethodPost, "/p")
		if xcache(r) != "" || string(r.Body()) != "hello" {
			t.Fatalf("POST: X-Cache %q body %q", xcache(r), r.Body())
		}
	}
	if g.hits.Load() != 2 || g.c.Stats().Bypasses != 2 {
		t.Fatalf("backend %d, stats %+v", g.hits.Load(), g.c.Stats())
	}
}

func TestHopByHopNotReplayed(t *testing.T) {
	g := newGateway(t, testConfig())
	g.setBackend(func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Connection", "X-Secret")
		ctx.Response.Header.Set("X-Secret", "1")
		ctx.Response.Header.Set("Keep-Alive", "timeout=5")
		ctx.Response.Header.Set("X-Kept", "yes")
		ctx.Response.Header.SetContentType("application/json")
		ctx.SetBodyString(`{}`)
	})
	g.get("/h")
	g.settle()
	r := g.get("/h")
	if xcache(r) != "HIT" {
		t.Fatal("not a hit")
	}
	if len(r.Header.Peek("X-Secret")) != 0 || len(r.Header.Peek("Keep-Alive")) != 0 {
		t.Fatalf("hop-by-hop replayed:\n%s", r.Header.String())
	}
	if string(r.Header.Peek("X-Kept")) != "yes" || string(r.Header.ContentType()) != "application/json" {
		t.Fatalf("headers lost:\n%s", r.Header.String())
	}
}

func TestHeadFromGet(t *testing.T) {
	g := newGateway(t, testConfig())
	g.setBackend(func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("0123456789") })

	// A HEAD first is forwarded and not stored: it has no body for a GET.
	r := g.do(fasthttp.MethodHead, "/x")
	if xcache(r) != "MISS" || !strings.Contains(status(r), "detail=head") {
		t.Fatalf("HEAD miss: %q %q", xcache(r), status(r))
	}
	g.settle()
	if r := g.get("/x"); xcache(r) != "MISS" || string(r.Body()) != "0123456789" {
		t.Fatalf("GET after HEAD: %q %q", xcache(r), r.Body())
	}
	g.settle()
	r = g.do(fasthttp.MethodHead, "/x")
	if xcache(r) != "HIT" || len(r.Body()) != 0 || r.Header.ContentLength() != 10 {
		t.Fatalf("HEAD hit: %q body %q Content-Length %d", xcache(r), r.Body(), r.Header.ContentLength())
	}
	if r := g.get("/x"); xcache(r) != "HIT" || string(r.Body()) != "0123456789" {
		t.Fatalf("GET after HEAD hit: %q %q", xcache(r), r.Body())
	}
	if g.hits.Load() != 2 {
		t.Fatalf("backend calls %d, want 2", g.hits.Load())
	}
}

func TestNoCacheRefresh(t *testing.T) {
	for _, h := range [][]string{{"Cache-Control", "no-cache"}, {"Pragma", "no-cache"}, {"Cache-Control", "max-age=0"}} {
		t.Run(h[0]+": "+h[1], func(t *testing.T) {
			g := newGateway(t, testConfig())
			// Ignored by default, as nginx and Varnish do.
			g.setBackend(func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("v0") })
			g.get("/n")
			g.settle()
			if r := g.get("/n", h...); xcache(r) != "HIT" || string(r.Body()) != "v0" {
				t.Fatalf("ignored %s: %q %q", h[1], xcache(r), r.Body())
			}
			// Honoured when the policy says so (a fresh rule namespace).
			g.policy = func(*fasthttp.RequestCtx) *Policy { return &Policy{Rule: "r2", HonorClientNoCache: true} }
			g.setBackend(func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("v1") })
			g.get("/n")
			g.settle()
			g.setBackend(func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("v2") })
			if r := g.get("/n"); string(r.Body()) != "v1" {
				t.Fatalf("want cached v1, got %q", r.Body())
			}
			r := g.get("/n", h...)
			if xcache(r) != "MISS" || string(r.Body()) != "v2" || !strings.HasPrefix(status(r), "premier; fwd=request; fwd-status=200; stored") {
				t.Fatalf("no-cache: %q %q %q", xcache(r), r.Body(), status(r))
			}
			g.settle()
			if r := g.get("/n"); xcache(r) != "HIT" || string(r.Body()) != "v2" {
				t.Fatalf("after refresh: %q %q", xcache(r), r.Body())
			}
		})
	}
}

func TestVary(t *testing.T) {
	g := newGateway(t, testConfig())
	g.setBackend(func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Vary", "Accept-Encoding")
		ctx.SetBodyString("enc=" + string(ctx.Request.Header.Peek("Accept-Encoding")))
	})
	encs := []string{"gzip", "br", ""}
	for round := range 3 {
		for _, enc := range encs {
			var hdrs []string
			if enc != "" {
				hdrs = []string{"Accept-Encoding", enc}
			}
			r := g.get("/v", hdrs...)
			if string(r.Body()) != "enc="+enc {
				t.Fatalf("round %d %q: got %q", round, enc, r.Body())
			}
			want := "HIT"
			if round == 0 {
				want = "MISS"
			}
			if xcache(r) != want {
				t.Fatalf("round %d %q: X-Cache %q want %q (%s)", round, enc, xcache(r), want, status(r))
			}
			if round == 0 && enc != "gzip" && !strings.Contains(status(r), "fwd=vary-miss") {
				t.Fatalf("want vary-miss, got %q", status(r))
			}
			g.settle()
		}
	}
	if g.hits.Load() != 3 {
		t.Fatalf("backend calls %d, want 3", g.hits.Load())
	}
}

func TestTTL(t *testing.T) {
	cases := []struct {
		name     string
		expireS  float64
		hdrs     []string
		freshFor time.Duration // 0 = not stored
		wantTTL  string
	}{
		{"expire_s", 10, []string{"Cache-Control", "max-age=1000"}, 10 * time.Second, "ttl=10"},
		{"max-age", 0, []string{"Cache-Control", "max-age=5"}, 5 * time.Second, "ttl=5"},
		{"s-maxage", 0, []string{"Cache-Control", "max-age=100, s-maxage=3"}, 3 * time.Second, "ttl=3"},
		{"age", 0, []string{"Cache-Control", "max-age=10", "Age", "4"}, 6 * time.Second, "ttl=6"},
		{"none", 0, []string{"X-Other", "1"}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newGateway(t, testConfig())
			g.bare = true
			g.policy = func(*fasthttp.RequestCtx) *Policy { return &Policy{Rule: "r", ExpireS: tc.expireS} }
			g.setBackend(func(ctx *fasthttp.RequestCtx) {
				for i := 0; i+1 < len(tc.hdrs); i += 2 {
					ctx.Response.Header.Set(tc.hdrs[i], tc.hdrs[i+1])
				}
				ctx.SetBodyString("x")
			})
			r := g.get("/t")
			if tc.wantTTL != "" && !strings.HasSuffix(status(r), "stored; "+tc.wantTTL) {
				t.Fatalf("miss Cache-Status %q, want %s", status(r), tc.wantTTL)
			}
			g.settle()
			if tc.freshFor == 0 {
				// RFC 9111 §4.2: never reused without freshness information.
				if !strings.HasSuffix(status(r), "detail=no-freshness") {
					t.Fatalf("miss Cache-Status %q, want detail=no-freshness", status(r))
				}
				if r := g.get("/t"); xcache(r) != "MISS" || g.hits.Load() != 2 {
					t.Fatalf("response without freshness reused: %q, %d backend calls", xcache(r), g.hits.Load())
				}
				return
			}
			g.clock.Advance(tc.freshFor - time.Second)
			if r := g.get("/t"); xcache(r) != "HIT" || !strings.HasSuffix(status(r), "; ttl=1") {
				t.Fatalf("just before expiry: %q %q", xcache(r), status(r))
			}
			g.clock.Advance(time.Second)
			r = g.get("/t")
			if xcache(r) != "MISS" || !strings.Contains(status(r), "fwd=stale") {
				t.Fatalf("at expiry: %q %q", xcache(r), status(r))
			}
			g.settle()
			if r := g.get("/t"); xcache(r) != "HIT" {
				t.Fatalf("after refill: %q", xcache(r))
			}
		})
	}
}

func TestAgeHeader(t *testing.T) {
	g := newGateway(t, testConfig())
	g.policy = func(*fasthttp.RequestCtx) *Policy { return &Policy{Rule: "r", ExpireS: 300} }
	g.setBackend(func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Age", "3")
		ctx.SetBodyString("x")
	})
	g.get("/a")
	g.settle()
	g.clock.Advance(7 * time.Second)
	r := g.get("/a")
	if string(r.Header.Peek("Age")) != "10" || status(r) != "premier; hit; ttl=293" {
		t.Fatalf("Age %q Cache-Status %q", r.Header.Peek("Age"), status(r))
	}
	if n := len(r.Header.PeekAll("Age")); n != 1 {
		t.Fatalf("%d Age headers", n)
	}
}

// collapse sends n concurrent cold requests; the backend holds the first
// until the other n-1 wait for it.
func collapse(t *testing.T, g *gateway, uri string, n int, backend fasthttp.RequestHandler) []*fasthttp.Response {
	t.Helper()
	g.setBackend(func(ctx *fasthttp.RequestCtx) {
		if g.hits.Load() == 1 {
			wait.Until(t, "followers waiting", func() bool { return g.c.Stats().Waiting == int64(n-1) })
		}
		backend(ctx)
	})
	out := make([]*fasthttp.Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i] = g.get(uri) })
	}
	wg.Wait()
	return out
}

func TestCollapse40(t *testing.T) {
	g := newGateway(t, testConfig())
	rs := collapse(t, g, "/cold", 40, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("cold body") })
	if g.hits.Load() != 1 {
		t.Fatalf("backend calls %d, want 1", g.hits.Load())
	}
	var hits, misses int
	for _, r := range rs {
		if r.StatusCode() != 200 || string(r.Body()) != "cold body" {
			t.Fatalf("response %d %q", r.StatusCode(), r.Body())
		}
		switch xcache(r) {
		case "HIT":
			hits++
			if status(r) != "premier; fwd=uri-miss; fwd-status=200; collapsed; ttl=600" {
				t.Fatalf("Cache-Status %q", status(r))
			}
		case "MISS":
			misses++
		}
	}
	if hits != 39 || misses != 1 || g.c.Stats().Collapsed != 39 {
		t.Fatalf("hits %d misses %d stats %+v", hits, misses, g.c.Stats())
	}
}

func TestCollapseUnstorable(t *testing.T) {
	// The leader's response is private: the waiters must not get it and
	// fetch their own.
	g := newGateway(t, testConfig())
	var served atomic.Int64 // its own count: two calls may read g.hits after both added to it
	rs := collapse(t, g, "/private", 5, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Cache-Control", "private")
		ctx.SetBodyString(fmt.Sprintf("user %d", served.Add(1)))
	})
	if g.hits.Load() != 5 {
		t.Fatalf("backend calls %d, want 5", g.hits.Load())
	}
	seen := map[string]bool{}
	for _, r := range rs {
		if xcache(r) != "MISS" || seen[string(r.Body())] {
			t.Fatalf("%q %q", xcache(r), r.Body())
		}
		seen[string(r.Body())] = true
	}
}

func TestAbortReleasesWaiters(t *testing.T) {
	c, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	leader := newCtx("GET", "/k")
	res, fill := c.Lookup(leader, nil, []byte("k"))
	if res != Miss || fill == nil {
		t.Fatal("want a leader")
	}
	done := make(chan *Fill)
	go func() {
		_, f := c.Lookup(newCtx("GET", "/k"), nil, []byte("k"))
		done <- f
	}()
	wait.Until(t, "waiter", func() bool { return c.Stats().Waiting == 1 })
	fill.Abort()
	fill.Abort() // idempotent
	if f := <-done; f == nil {
		t.Fatal("waiter got no Fill after Abort")
	}
	var nilFill *Fill
	nilFill.Done(leader)
	nilFill.Abort()
}

func TestLargeBodies(t *testing.T) {
	g := newGateway(t, testConfig())
	big := make([]byte, 1<<20)
	_, _ = rand.Read(big)
	g.setBackend(func(ctx *fasthttp.RequestCtx) { ctx.SetBody(big) })
	for i := range 3 {
		r := g.get("/big")
		if !bytes.Equal(r.Body(), big) || r.Header.ContentLength() != len(big) {
			t.Fatalf("request %d: %d bytes, Content-Length %d", i, len(r.Body()), r.Header.ContentLength())
		}
		g.settle()
	}
	if g.hits.Load() != 1 {
		t.Fatalf("backend calls %d, want 1", g.hits.Load())
	}
}

func TestOverMaxEntryBytes(t *testing.T) {
	cfg := testConfig()
	cfg.MaxEntryBytes = 512 << 10
	g := newGateway(t, cfg)
	big := make([]byte, 600<<10)
	_, _ = rand.Read(big)
	g.setBackend(func(ctx *fasthttp.RequestCtx) { ctx.SetBody(big) })
	for range 2 {
		r := g.get("/big")
		if !bytes.Equal(r.Body(), big) || r.Header.ContentLength() != len(big) || !strings.Contains(status(r), "detail=too-large") {
			t.Fatalf("%d bytes, Content-Length %d, %q", len(r.Body()), r.Header.ContentLength(), status(r))
		}
		g.settle()
	}
	if g.hits.Load() != 2 {
		t.Fatalf("backend calls %d, want 2", g.hits.Load())
	}
}

func TestQueryOrderSharesEntry(t *testing.T) {
	g := newGateway(t, testConfig())
	g.get("/q?a=1&b=2")
	g.settle()
	if r := g.get("/q?b=2&a=1"); xcache(r) != "HIT" {
		t.Fatal("reordered query missed")
	}
	// Repeated names keep their order: a last-wins backend reads these two
	// differently.
	g.get("/r?a=1&a=2")
	g.settle()
	if r := g.get("/r?a=2&a=1"); xcache(r) != "MISS" {
		t.Fatal("reordered repeated parameter shared an entry")
	}
	if r := g.get("/Q?a=1&b=2"); xcache(r) != "MISS" {
		t.Fatal("path case ignored")
	}
}

func TestPurgeMemory(t *testing.T) {
	g := newGateway(t, testConfig())
	g.policy = func(ctx *fasthttp.RequestCtx) *Policy { return &Policy{Rule: string(ctx.QueryArgs().Peek("rule"))} }
	fill := func(uris ...string) {
		for _, u := range uris {
			g.get(u)
		}
		g.settle()
	}
	isHit := func(u string) bool { return xcache(g.get(u)) == "HIT" }
	fill("/1?rule=a", "/2?rule=a", "/3?rule=b")

	var key []byte
	req := fasthttp.AcquireRequest()
	req.SetRequestURI("http://gw.example/1?rule=a")
	key = AppendDefaultKey(key, req, nil)
	fasthttp.ReleaseRequest(req)
	if err := g.c.PurgeKey("a", key); err != nil {
		t.Fatal(err)
	}
	if isHit("/1?rule=a") || !isHit("/2?rule=a") || !isHit("/3?rule=b") {
		t.Fatal("PurgeKey")
	}
	if err := g.c.PurgeRule("a"); err != nil {
		t.Fatal(err)
	}
	if isHit("/2?rule=a") || !isHit("/3?rule=b") {
		t.Fatal("PurgeRule")
	}
	g.settle()
	if !isHit("/2?rule=a") {
		t.Fatal("refill after PurgeRule")
	}
	if err := g.c.PurgeAll(); err != nil {
		t.Fatal(err)
	}
	if isHit("/2?rule=a") || isHit("/3?rule=b") {
		t.Fatal("PurgeAll")
	}
}

func TestDroppedSets(t *testing.T) {
	g := newGateway(t, testConfig())
	g.c.dropSets.Store(true)
	rs := collapse(t, g, "/d", 10, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("dropped") })
	for _, r := range rs {
		if string(r.Body()) != "dropped" {
			t.Fatalf("body %q", r.Body())
		}
	}
	if g.hits.Load() != 1 {
		t.Fatalf("collapsing relied on the Set: %d backend calls", g.hits.Load())
	}
	r := g.get("/d")
	if xcache(r) != "MISS" || string(r.Body()) != "dropped" {
		t.Fatalf("after dropped Set: %q %q", xcache(r), r.Body())
	}
}

func TestTinyMemoryStaysCorrect(t *testing.T) {
	// 256 KiB of memory for 200 distinct 4 KiB responses: ristretto rejects
	// and evicts constantly; every response must still be the right one.
	cfg := Config{MaxBytes: 256 << 10, MaxEntryBytes: 64 << 10}
	g := newGateway(t, cfg)
	g.setBackend(func(ctx *fasthttp.RequestCtx) {
		ctx.SetBody(bytes.Repeat(ctx.Path(), 4096/len(ctx.Path())+1)[:4096])
	})
	for round := range 3 {
		for i := range 200 {
			p := fmt.Sprintf("/k%03d", i)
			r := g.get(p)
			if !bytes.Equal(r.Body(), bytes.Repeat([]byte(p), 4096/len(p)+1)[:4096]) {
				t.Fatalf("round %d %s: wrong body (%s)", round, p, xcache(r))
			}
		}
		g.settle()
	}
	if s := g.c.Stats(); s.Bytes > cfg.MaxBytes {
		t.Fatalf("memory %d over %d", s.Bytes, cfg.MaxBytes)
	}
}

// newCtx builds a bare RequestCtx (no server) for direct calls.
func newCtx(method, uri string, hdrs ...string) *fasthttp.RequestCtx {
	ctx := &fasthttp.RequestCtx{}
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetHost("example.com")
	for i := 0; i+1 < len(hdrs); i += 2 {
		ctx.Request.Header.Set(hdrs[i], hdrs[i+1])
	}
	return ctx
}
