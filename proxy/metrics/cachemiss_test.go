package metrics

import (
	"bufio"
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/cache"
	"github.com/premier-gateway/premier/ui/source"
)

func TestMissSlots(t *testing.T) {
	for _, c := range []struct {
		m         cache.MissResult
		fwd, fill string
	}{
		{cache.MissResult{Fwd: cache.FwdURIMiss}, "uri-miss", "stored"},
		{cache.MissResult{Fwd: cache.FwdStale, Reason: cache.ReasonSetCookie}, "stale", "set-cookie"},
		{cache.MissResult{Fwd: cache.FwdVaryMiss, Reason: cache.ReasonTooLarge}, "vary-miss", "too-large"},
		{cache.MissResult{Fwd: cache.FwdRequest, Reason: cache.ReasonNoStore}, "request", "no-store"},
		{cache.MissResult{}, "unknown", "unknown"},
		{cache.MissResult{Reason: cache.ReasonStatus}, "unknown", "unknown"},
		{cache.MissResult{Fwd: 200, Reason: cache.ReasonStatus}, "unknown", "unknown"},
		{cache.MissResult{Fwd: cache.FwdURIMiss, Reason: 200}, "uri-miss", "unknown"},
	} {
		fwd, fill := missSlots(c.m)
		if missFwdNames[fwd] != c.fwd || fillNames[fill] != c.fill {
			t.Errorf("%+v: fwd %q fill %q, want %q %q", c.m, missFwdNames[fwd], fillNames[fill], c.fwd, c.fill)
		}
	}
	// every fwd and every reason the cache names has its own slot
	for f := cache.FwdURIMiss; f.String() != "unknown"; f++ {
		if fwd, _ := missSlots(cache.MissResult{Fwd: f}); missFwdNames[fwd] != f.String() {
			t.Errorf("fwd %q has no slot (got %q)", f, missFwdNames[fwd])
		}
	}
	for r := cache.ReasonHead; r.String() != "unknown"; r++ {
		if _, fill := missSlots(cache.MissResult{Fwd: cache.FwdURIMiss, Reason: r}); fillNames[fill] != r.String() {
			t.Errorf("reason %q has no slot (got %q)", r, fillNames[fill])
		}
	}
}

// TestCacheMissReasonsFromRealCache runs misses through a real cache and
// counts them, per rule, from the result its Fill.Done returns.
func TestCacheMissReasonsFromRealCache(t *testing.T) {
	c, err := cache.New(cache.Config{MaxBytes: 1 << 20, MaxEntryBytes: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var m Collector
	pol := &cache.Policy{Rule: "/api/*", HonorClientNoCache: true}
	send := func(path string, respond func(*fasthttp.Response), noCache bool) {
		t.Helper()
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI("http://x" + path)
		if noCache {
			ctx.Request.Header.Set("Cache-Control", "no-cache")
		}
		o := &Observation{Route: "/api/*", Method: []byte("GET"), Path: []byte(path), Start: t0, Status: 200}
		res, fill := c.Lookup(&ctx, pol, []byte(path))
		switch res {
		case cache.Hit:
			o.Cache = CacheHit
		case cache.Miss:
			o.Cache = CacheMiss
			respond(&ctx.Response)
			o.Miss = fill.Done(&ctx) // what the gateway passes
		default:
			o.Cache = CacheBypass
		}
		m.Observe(o)
	}
	ok := func(r *fasthttp.Response) { r.Header.Set("Cache-Control", "max-age=60"); r.SetBodyString("ok") }
	cookie := func(r *fasthttp.Response) { r.Header.Set("Set-Cookie", "a=b"); r.SetBodyString("ok") }
	private := func(r *fasthttp.Response) { r.Header.Set("Cache-Control", "private"); r.SetBodyString("ok") }
	fail := func(r *fasthttp.Response) { r.SetStatusCode(502) }

	send("/a", ok, false)      // uri-miss, stored
	send("/a", ok, true)       // request (no-cache), stored
	send("/b", cookie, false)  // uri-miss, set-cookie
	send("/b", cookie, false)  // uri-miss, set-cookie
	send("/c", private, false) // uri-miss, private
	send("/d", fail, false)    // uri-miss, status

	r := m.lookup("/api/*").snapshot(t0)
	want := source.Cache{Misses: 6,
		MissReasons: []source.ReasonCount{{Reason: "uri-miss", Count: 5}, {Reason: "request", Count: 1}},
		Fills: []source.ReasonCount{{Reason: "set-cookie", Count: 2}, {Reason: "stored", Count: 2},
			{Reason: "private", Count: 1}, {Reason: "status", Count: 1}}}
	if r.Cache.Hits != want.Hits || r.Cache.Misses != want.Misses ||
		!slices.Equal(r.Cache.MissReasons, want.MissReasons) || !slices.Equal(r.Cache.Fills, want.Fills) {
		t.Fatalf("cache %+v\nwant  %+v", r.Cache, want)
	}

	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	promCacheMisses(w, m.all())
	w.Flush()
	for _, line := range []string{
		`premier_cache_misses_total{route="/api/*",fwd="uri-miss"} 5`,
		`premier_cache_misses_total{route="/api/*",fwd="request"} 1`,
		`premier_cache_fills_total{route="/api/*",result="stored"} 2`,
		`premier_cache_fills_total{route="/api/*",result="set-cookie"} 2`,
	} {
		if !bytes.Contains(buf.Bytes(), []byte(line)) {
			t.Errorf("prometheus output lacks %s:\n%s", line, buf.String())
		}
	}
}

// A miss without a result (the handler did not pass one) is counted as
// unknown on both counts, never dropped.
func TestCacheMissWithoutResult(t *testing.T) {
	var m Collector
	o := obs("/x", 200, time.Millisecond, 0, t0)
	o.Cache = CacheMiss
	m.Observe(o)
	r := m.lookup("/x").snapshot(t0)
	if len(r.Cache.MissReasons) != 1 || r.Cache.MissReasons[0] != (source.ReasonCount{Reason: "unknown", Count: 1}) ||
		len(r.Cache.Fills) != 1 || r.Cache.Fills[0] != (source.ReasonCount{Reason: "unknown", Count: 1}) {
		t.Fatalf("%+v", r.Cache)
	}
	if r := m.lookup("/x").snapshot(t0); r.Cache.MissReasons == nil || r.Cache.Fills == nil {
		t.Fatal("nil slices would marshal as null")
	}
}
