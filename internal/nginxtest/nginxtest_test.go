package nginxtest

import (
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/origintest"
)

// TestStartCaching: the caching nginx stores a response with max-age and
// answers the second request from its cache, saying so.
func TestStartCaching(t *testing.T) {
	o := origintest.Start(t, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.SetBodyString("cached body")
	})
	ngx := StartCaching(t, o.Addr())
	for i, want := range []string{"MISS", "HIT"} {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI(ngx.URL() + "/c")
		if err := fasthttp.Do(req, resp); err != nil || string(resp.Body()) != "cached body" {
			t.Fatalf("request %d: %v %q", i, err, resp.Body())
		}
		if got := string(resp.Header.Peek("X-Cache-Status")); got != want {
			t.Fatalf("request %d: X-Cache-Status %q, want %q", i, got, want)
		}
	}
	if n := o.Count("/c"); n != 1 {
		t.Fatalf("origin saw %d requests, want 1", n)
	}
}
