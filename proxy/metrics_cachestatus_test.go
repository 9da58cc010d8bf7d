package proxy

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
		v         string
		fwd, fill string
	}{
		{"premier; fwd=uri-miss; stored; ttl=60", "uri-miss", "stored"},
		{"premier; fwd=uri-miss; stored", "uri-miss", "stored"},
		{"premier; fwd=stale; detail=set-cookie", "stale", "set-cookie"},
		{"premier;fwd=vary-miss;detail=too-large", "vary-miss", "too-large"},
		{`premier; fwd="request"; detail="no-store"`, "request", "no-store"},
		{"premier; fwd=bogus; detail=bogus", "other", "other"},
		{"premier", "other", "other"},
		{"", "unknown", "unknown"},
	} {
		fwd, fill := missSlots([]byte(c.v))
		if missFwdNames[fwd] != c.fwd || fillNames[fill] != c.fill {
			t.Errorf("%q: fwd %q fill %q, want %q %q", c.v, missFwdNames[fwd], fillNames[fill], c.fwd, c.fill)
		}
	}
	// every reason the cache names has its own slot
	for r := cache.ReasonHead; r.String() != "unknown"; r++ {
		if _, fill := missSlots([]byte("premier; fwd=uri-miss; detail=" + r.String())); fillNames[fill] != r.String() {
			t.Errorf("reason %q has no slot (got %q)", r, fillNames[fill])
		}
	}
}

// TestCacheMissReasonsFromRealCache runs misses through a real cache and
// counts them from the Cache-Status it sets, per rule.
func TestCacheMissReasonsFromRealCache(t *testing.T) {
	c, err := cache.New(cache.Config{MaxBytes: 1 << 20, MaxEntryBytes: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var m metrics
	pol := &cache.Policy{Rule: "/api/*"}
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
			fill.Done(&ctx)
			o.CacheStatus = ctx.Response.Header.Peek("Cache-Status") // what the gateway sets
		default:
			o.Cache = CacheBypass
		}
		m.observe(o)
	}
	ok := func(r *fasthttp.Response) { r.SetBodyString("ok") }
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

// A miss without Cache-Status (the handler did not pass it) is counted as
// unknown on both counts, never dropped.
func TestCacheMissWithoutStatus(t *testing.T) {
	var m metrics
	o := obs("/x", 200, time.Millisecond, 0, t0)
	o.Cache = CacheMiss
	m.observe(o)
	r := m.lookup("/x").snapshot(t0)
	if len(r.Cache.MissReasons) != 1 || r.Cache.MissReasons[0] != (source.ReasonCount{Reason: "unknown", Count: 1}) ||
		len(r.Cache.Fills) != 1 || r.Cache.Fills[0] != (source.ReasonCount{Reason: "unknown", Count: 1}) {
		t.Fatalf("%+v", r.Cache)
	}
	if r := m.lookup("/x").snapshot(t0); r.Cache.MissReasons == nil || r.Cache.Fills == nil {
		t.Fatal("nil slices would marshal as null")
	}
}
