package cache

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestCacheStatusParams: the RFC 9211 parameters of each outcome: a miss
// that stored (fwd, fwd-status, stored, ttl), one that did not (detail),
// a hit (hit, ttl), and requests that waited for another's fetch
// (collapsed when they reused it, collapsed=?0 when they could not).
func TestCacheStatusParams(t *testing.T) {
	g := newGateway(t, testConfig())
	g.setBackend(func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(404)
		ctx.Response.Header.Set("Cache-Control", "max-age=30")
		ctx.SetBodyString("gone")
	})
	if s := status(g.get("/p")); s != "premier; fwd=uri-miss; fwd-status=404; stored; ttl=30" {
		t.Fatalf("stored miss: %q", s)
	}
	g.settle()
	if s := status(g.get("/p")); s != "premier; hit; ttl=30" {
		t.Fatalf("hit: %q", s)
	}
	g = newGateway(t, testConfig()) // collapse counts backend calls from zero
	rs := collapse(t, g, "/private", 5, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Cache-Control", "private")
		ctx.SetBodyString("mine")
	})
	var leaders, followers int
	for _, r := range rs {
		switch status(r) {
		case "premier; fwd=uri-miss; fwd-status=200; detail=private":
			leaders++
		case "premier; fwd=uri-miss; fwd-status=200; collapsed=?0; detail=private":
			followers++
		default:
			t.Fatalf("collapsed miss: %q %q", status(r), r.Body())
		}
	}
	if leaders != 1 || followers != 4 {
		t.Fatalf("%d leaders, %d followers, %d backend calls", leaders, followers, g.hits.Load())
	}
}

// TestVaryNamesNormalised: Vary names are a case-insensitive set, so a
// refill naming the same headers in another order and case keeps the
// variants stored before it, and a repeated name counts once.
func TestVaryNamesNormalised(t *testing.T) {
	g := newGateway(t, testConfig())
	g.setBackend(func(ctx *fasthttp.RequestCtx) {
		vary := "Accept-Language, Accept"
		if string(ctx.Request.Header.Peek("Accept-Language")) == "fr" {
			vary = "accept, ACCEPT-LANGUAGE, Accept, accept"
		}
		ctx.Response.Header.Set("Vary", vary)
		ctx.SetBodyString("in " + string(ctx.Request.Header.Peek("Accept-Language")))
	})
	for _, lang := range []string{"en", "fr", "en", "fr"} {
		r := g.get("/v", "Accept-Language", lang, "Accept", "text/html")
		if string(r.Body()) != "in "+lang {
			t.Fatalf("%s: %q", lang, r.Body())
		}
		g.settle()
	}
	if g.hits.Load() != 2 {
		t.Fatalf("backend calls %d, want 2 (one per language)", g.hits.Load())
	}
	if got := string(canonicalName([]byte("x-FORWARDED-for"))); got != "X-Forwarded-For" {
		t.Fatalf("canonicalName: %q", got)
	}
	names := normalVary(appendVary(nil, []byte("b, A, a ,B,c")))
	if len(names) != 3 || !strings.EqualFold(string(names[0]), "a") {
		t.Fatalf("normalVary: %q", names)
	}
}
