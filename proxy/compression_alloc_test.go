//go:build !race

package proxy

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestCompressionAllocs: a cache hit served in any coding allocates nothing
// (its encoding is kept with the entry), and neither does an answer
// encoded on the fly from memory once the pools are warm.
func TestCompressionAllocs(t *testing.T) {
	body := jsonBody(64 << 10)
	g := newInmemGatewayWith(t, `premier:
  servers: ["http://backend.internal:80"]
  compression: {}
  paths:
    - pattern: /cached/*
      features:
        cache: {expire_s: 3600}
    - pattern: /*
`, func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		ctx.Response.Header.Set("ETag", `"v1"`)
		ctx.SetBody(body)
	})
	send := func(uri, ae string) {
		req := &g.ctx.Request
		req.Reset()
		req.SetRequestURI(uri)
		req.Header.SetHost("example.com")
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		g.ctx.Response.Reset()
		g.ctx.Response.KeepBodyBuffer = true
		g.gw.Handler(&g.ctx)
		if err := g.ctx.Response.Write(g.bw); err != nil {
			t.Fatal(err)
		}
		_ = g.bw.Flush()
		if ae != "" && string(g.ctx.Response.Header.Peek("Content-Encoding")) != ae {
			t.Fatalf("%s %q: Content-Encoding %q", uri, ae, g.ctx.Response.Header.Peek("Content-Encoding"))
		}
	}
	for i := 0; string(g.ctx.Response.Header.Peek("X-Cache")) != "HIT"; i++ {
		if i == 500 {
			t.Fatal("the cached response never became a hit")
		}
		send("/cached/doc", "gzip")
		time.Sleep(2 * time.Millisecond)
	}
	for _, ae := range []string{"gzip", "br", "zstd", ""} {
		for i := 0; i < 5; i++ {
			send("/cached/doc", ae)
		}
		if n := testing.AllocsPerRun(100, func() { send("/cached/doc", ae) }); n != 0 {
			t.Errorf("cache hit in %q: %v allocations per request, want 0", ae, n)
		}
	}
	// A conditional hit: the 304 gets the Vary and weak ETag of the 200
	// it stands for, from the stored entry, without allocating.
	notModified := func() {
		req := &g.ctx.Request
		req.Reset()
		req.SetRequestURI("/cached/doc")
		req.Header.SetHost("example.com")
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("If-None-Match", `W/"v1"`)
		g.ctx.Response.Reset()
		g.gw.Handler(&g.ctx)
		if err := g.ctx.Response.Write(g.bw); err != nil {
			t.Fatal(err)
		}
		_ = g.bw.Flush()
	}
	notModified()
	if r := &g.ctx.Response; r.StatusCode() != 304 || string(r.Header.Peek("Vary")) != "Accept-Encoding" || string(r.Header.Peek("ETag")) != `W/"v1"` {
		t.Fatalf("conditional hit: %d, Vary %q, ETag %q", r.StatusCode(), r.Header.Peek("Vary"), r.Header.Peek("ETag"))
	}
	if n := testing.AllocsPerRun(100, notModified); n != 0 {
		t.Errorf("conditional hit (304): %v allocations per request, want 0", n)
	}
	for _, ae := range []string{"gzip", "br", "zstd"} {
		for i := 0; i < 20; i++ {
			send("/live", ae)
		}
		if n := testing.AllocsPerRun(50, func() { send("/live", ae) }); n != 0 {
			t.Errorf("encoded on the fly in %q: %v allocations per request, want 0", ae, n)
		}
	}
}
