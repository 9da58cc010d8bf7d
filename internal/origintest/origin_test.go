package origintest

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestOriginRecordsRequests(t *testing.T) {
	o := Start(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("hi") })
	for i := 0; i < 2; i++ {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI(o.URL() + "/a?x=1")
		req.Header.Set("If-None-Match", `"v1"`)
		if err := fasthttp.Do(req, resp); err != nil || string(resp.Body()) != "hi" {
			t.Fatalf("request: %v %q", err, resp.Body())
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}
	if n := o.Count("/a?x=1"); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
	if s := o.Seen("")[1]; s.Method != "GET" || s.IfNoneMatch != `"v1"` || s.IfModifiedSince != "" {
		t.Fatalf("seen %+v", s)
	}
	if o.Count("/b") != 0 {
		t.Fatal("counted a path never asked")
	}
}

// TestOriginStop: a stopped origin refuses connections; Stop twice is fine.
func TestOriginStop(t *testing.T) {
	o := Start(t, func(ctx *fasthttp.RequestCtx) {})
	o.Stop()
	o.Stop()
	if c, err := net.Dial("tcp", o.Addr()); err == nil {
		c.Close()
		t.Fatal("a stopped origin accepted a connection")
	}
}
