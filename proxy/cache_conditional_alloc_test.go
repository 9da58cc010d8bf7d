//go:build !race

package proxy

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestCacheNotModifiedZeroAllocs: a client's If-None-Match answered 304
// from a cache hit allocates nothing through the whole gateway path.
func TestCacheNotModifiedZeroAllocs(t *testing.T) {
	g := newInmemGatewayWith(t, `premier:
  servers: ["http://backend.internal:80"]
  paths:
    - pattern: /*
      features:
        cache: {expire_s: 3600}
`, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("ETag", `"v1"`)
		ctx.SetBodyString("cached")
	})
	send := func(inm string) int {
		req := &g.ctx.Request
		req.Reset()
		req.SetRequestURI("/cond")
		req.Header.SetHost("example.com")
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		g.ctx.Response.Reset()
		g.ctx.Response.KeepBodyBuffer = true
		g.gw.Handler(&g.ctx)
		if err := g.ctx.Response.Write(g.bw); err != nil {
			t.Fatal(err)
		}
		_ = g.bw.Flush()
		return g.ctx.Response.StatusCode()
	}
	for i := 0; string(g.ctx.Response.Header.Peek("X-Cache")) != "HIT"; i++ {
		if i == 500 {
			t.Fatal("the cached response never became a hit")
		}
		send("")
		time.Sleep(2 * time.Millisecond)
	}
	for i := 0; i < 10; i++ {
		send(`W/"v1"`)
	}
	if n := testing.AllocsPerRun(200, func() {
		if send(`W/"v1"`) != 304 {
			t.Fatal("not a 304")
		}
	}); n != 0 {
		t.Errorf("304 from a hit: %v allocations per request, want 0", n)
	}
}
