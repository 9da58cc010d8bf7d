package cache

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestDoneResultMatchesCacheStatus: the value Done returns says what the
// Cache-Status header it writes says, for every fwd and for stored and
// refused responses, so the gateway can count misses from the value.
func TestDoneResultMatchesCacheStatus(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Unix(1_800_000_000, 0).UnixNano())
	c, err := New(testConfig(), WithClock(func() time.Time { return time.Unix(0, clock.Load()) }))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := &Policy{Rule: "/r", HonorClientNoCache: true}
	send := func(path string, reqHdrs []string, respond func(*fasthttp.Response)) (MissResult, string) {
		t.Helper()
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI("http://x" + path)
		for i := 0; i+1 < len(reqHdrs); i += 2 {
			ctx.Request.Header.Set(reqHdrs[i], reqHdrs[i+1])
		}
		res, fill := c.Lookup(&ctx, p, []byte(path))
		if res != Miss {
			t.Fatalf("%s: %v, want a miss", path, res)
		}
		respond(&ctx.Response)
		m := fill.Done(&ctx)
		c.l1.Wait()
		if again := fill.Done(&ctx); again != (MissResult{}) {
			t.Fatalf("second Done: %+v", again)
		}
		return m, string(ctx.Response.Header.Peek("Cache-Status"))
	}
	ok := func(r *fasthttp.Response) { r.Header.Set("Cache-Control", "max-age=10"); r.SetBodyString("ok") }
	for _, tc := range []struct {
		path    string
		reqHdrs []string
		respond func(*fasthttp.Response)
		advance time.Duration // clock moves before the request
		want    MissResult
	}{
		{path: "/a", respond: ok, want: MissResult{Fwd: FwdURIMiss}},
		{path: "/a", respond: ok, advance: 11 * time.Second, want: MissResult{Fwd: FwdStale}},
		{path: "/a", reqHdrs: []string{"Cache-Control", "no-cache"}, respond: ok, want: MissResult{Fwd: FwdRequest}},
		{path: "/b", respond: func(r *fasthttp.Response) { r.Header.Set("Set-Cookie", "a=b") },
			want: MissResult{Fwd: FwdURIMiss, Reason: ReasonSetCookie}},
		{path: "/v", respond: func(r *fasthttp.Response) { ok(r); r.Header.Set("Vary", "Accept") }, want: MissResult{Fwd: FwdURIMiss}},
		{path: "/v", reqHdrs: []string{"Accept", "text/html"}, respond: func(r *fasthttp.Response) { r.SetStatusCode(500) },
			want: MissResult{Fwd: FwdVaryMiss, Reason: ReasonStatus}},
	} {
		clock.Add(int64(tc.advance))
		got, header := send(tc.path, tc.reqHdrs, tc.respond)
		if got != tc.want {
			t.Fatalf("%s %v: Done = %+v, want %+v", tc.path, tc.reqHdrs, got, tc.want)
		}
		fwdStatus := "; fwd-status=200"
		if got.Reason == ReasonStatus {
			fwdStatus = "; fwd-status=500"
		}
		wantHeader := "premier; fwd=" + got.Fwd.String() + fwdStatus + "; detail=" + got.Reason.String()
		if got.Stored() {
			wantHeader = "premier; fwd=" + got.Fwd.String() + fwdStatus + "; stored"
		}
		if !strings.HasPrefix(header, wantHeader) {
			t.Fatalf("%s: Cache-Status %q, want %q for %+v", tc.path, header, wantHeader, got)
		}
	}
	var nilFill *Fill
	if m := nilFill.Done(nil); m != (MissResult{}) || m.Stored() || m.Fwd.String() != "unknown" {
		t.Fatalf("nil Fill: %+v", m)
	}
}
