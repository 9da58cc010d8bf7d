package cache

import (
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/redistest"
	"github.com/premier-gateway/premier/internal/wait"
	"github.com/valyala/fasthttp"
)

func redisOpts() RedisOptions {
	// A generous timeout: the machine is shared and noisy; the tests check
	// behaviour, not latency.
	return RedisOptions{Keyspace: "test", Timeout: 2 * time.Second}
}

func TestRedisSharedTier(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client()
	a := newGateway(t, testConfig(), WithRedis(rdb, redisOpts()))
	b := newGateway(t, testConfig(), WithRedis(rdb, redisOpts()))
	wait.Until(t, "subscriptions", func() bool { return a.c.l2.subs.Load() > 0 && b.c.l2.subs.Load() > 0 })
	a.setBackend(func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("X-From", "a")
		ctx.SetBodyString("filled by a")
	})
	b.setBackend(func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("b's backend") })

	if r := a.get("/shared"); xcache(r) != "MISS" {
		t.Fatal("A: want MISS")
	}
	a.settle()
	r := b.get("/shared")
	if xcache(r) != "HIT" || string(r.Body()) != "filled by a" || string(r.Header.Peek("X-From")) != "a" ||
		!strings.Contains(status(r), "detail=redis") {
		t.Fatalf("B: %q %q %q", xcache(r), r.Body(), status(r))
	}
	if b.hits.Load() != 0 {
		t.Fatal("B contacted its backend")
	}
	b.settle()
	if r := b.get("/shared"); xcache(r) != "HIT" || strings.Contains(status(r), "redis") {
		t.Fatalf("B second: want a memory hit, got %q %q", xcache(r), status(r))
	}
	if s := b.c.Stats(); s.RedisHits != 1 || s.RedisErrors != 0 {
		t.Fatalf("B stats %+v", s)
	}

	// Vary'd entries are shared too (marker + variant).
	a.setBackend(func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Vary", "Accept-Language")
		ctx.SetBodyString("lang=" + string(ctx.Request.Header.Peek("Accept-Language")))
	})
	a.get("/v", "Accept-Language", "fr")
	a.settle()
	if r := b.get("/v", "Accept-Language", "fr"); xcache(r) != "HIT" || string(r.Body()) != "lang=fr" {
		t.Fatalf("B vary: %q %q", xcache(r), r.Body())
	}
	if r := b.get("/v", "Accept-Language", "de"); xcache(r) != "MISS" || string(r.Body()) != "b's backend" {
		t.Fatalf("B other language: %q %q", xcache(r), r.Body())
	}
}

func TestRedisPurgePropagates(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client()
	a := newGateway(t, testConfig(), WithRedis(rdb, redisOpts()))
	b := newGateway(t, testConfig(), WithRedis(rdb, redisOpts()))
	for _, g := range []*gateway{a, b} {
		g.policy = func(ctx *fasthttp.RequestCtx) *Policy { return &Policy{Rule: string(ctx.QueryArgs().Peek("rule"))} }
	}
	wait.Until(t, "subscriptions", func() bool { return a.c.l2.subs.Load() > 0 && b.c.l2.subs.Load() > 0 })
	warm := func(uris ...string) {
		for _, u := range uris {
			a.get(u)
			a.settle()
			if r := b.get(u); xcache(r) != "HIT" {
				t.Fatalf("B %s: %q", u, xcache(r))
			}
			b.settle()
		}
	}
	warm("/1?rule=x", "/2?rule=x", "/3?rule=y")

	keyOf := func(uri string) []byte {
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		req.SetRequestURI("http://gw.example" + uri)
		return AppendDefaultKey(nil, req, nil)
	}
	// PurgeKey on A: gone from A, Redis, and (after the message) B.
	if err := a.c.PurgeKey("x", keyOf("/1?rule=x")); err != nil {
		t.Fatal(err)
	}
	wait.Until(t, "B drops /1", func() bool { return xcache(b.get("/1?rule=x")) == "MISS" })
	if xcache(b.get("/2?rule=x")) != "HIT" {
		t.Fatal("PurgeKey took a neighbour")
	}

	gen := b.c.rule("x").gen.Load()
	if err := a.c.PurgeRule("x"); err != nil {
		t.Fatal(err)
	}
	wait.Until(t, "B bumps rule x", func() bool { return b.c.rule("x").gen.Load() > gen })
	if xcache(b.get("/2?rule=x")) != "MISS" {
		t.Fatal("PurgeRule: B still hits")
	}
	if xcache(b.get("/3?rule=y")) != "HIT" {
		t.Fatal("PurgeRule took another rule")
	}

	// B's refill of /2 is written to Redis in the background; let it land
	// first (a fill racing a purge on another instance may outlive it).
	b.settle()
	epoch := b.c.epoch.Load()
	if err := a.c.PurgeAll(); err != nil {
		t.Fatal(err)
	}
	n, err := rdb.Do(t.Context(), rdb.B().Dbsize().Build()).AsInt64()
	if err != nil || n != 0 {
		t.Fatalf("%d keys left in Redis after PurgeAll (%v)", n, err)
	}
	wait.Until(t, "B purges all", func() bool { return b.c.epoch.Load() > epoch })
	if xcache(b.get("/3?rule=y")) != "MISS" {
		t.Fatal("PurgeAll: B still hits")
	}
}

func TestRedisKilled(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client()
	o := redisOpts()
	o.Timeout = 200 * time.Millisecond
	g := newGateway(t, testConfig(), WithRedis(rdb, o))
	g.get("/warm")
	g.settle()

	rs.Stop()
	if r := g.get("/warm"); xcache(r) != "HIT" {
		t.Fatal("memory hit lost with Redis down")
	}
	for i := range 3 {
		r := g.get("/cold")
		if r.StatusCode() != 200 || string(r.Body()) != "hello" {
			t.Fatalf("request %d with Redis down: %d %q", i, r.StatusCode(), r.Body())
		}
		g.c.l1.Wait()
	}
	if s := g.c.Stats(); s.RedisErrors == 0 {
		t.Fatalf("Redis errors not counted: %+v", s)
	}
	if r := g.get("/cold"); xcache(r) != "HIT" {
		t.Fatal("memory tier stopped storing with Redis down")
	}
}

func TestRedisNoServerAtAll(t *testing.T) {
	// A client pointed at nothing: New must still work and requests be served.
	rs := redistest.Start(t)
	rdb := rs.Client()
	rs.Stop()
	o := redisOpts()
	o.Timeout = 100 * time.Millisecond
	g := newGateway(t, testConfig(), WithRedis(rdb, o))
	for range 2 {
		if r := g.get("/x"); string(r.Body()) != "hello" {
			t.Fatalf("%q", r.Body())
		}
	}
}

func TestRedisStalled(t *testing.T) {
	// A Redis that accepts but never answers (SIGSTOP): reads time out and
	// the request is served as a miss.
	rs := redistest.Start(t)
	rdb := rs.Client()
	o := redisOpts()
	o.Timeout = 100 * time.Millisecond
	g := newGateway(t, testConfig(), WithRedis(rdb, o))
	g.get("/warm")
	g.settle()
	rs.Pause()
	defer rs.Resume()
	if r := g.get("/warm"); xcache(r) != "HIT" {
		t.Fatal("memory hit lost")
	}
	r := g.get("/cold")
	if r.StatusCode() != 200 || xcache(r) != "MISS" || string(r.Body()) != "hello" {
		t.Fatalf("stalled Redis: %d %q %q", r.StatusCode(), xcache(r), r.Body())
	}
	if g.c.Stats().RedisErrors == 0 {
		t.Fatal("timeout not counted")
	}
}
