package cache

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/redistest"
)

// staleCache stores one response for GET /s (headers as name, value pairs)
// on a fake clock and moves the clock past its freshness by after.
func staleCache(t *testing.T, p *Policy, after time.Duration, hdrs ...string) (*Cache, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	c, err := New(testConfig(), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx := newCtx("GET", "/s")
	res, fill := c.Lookup(ctx, p, key(ctx))
	if res != Miss {
		t.Fatalf("first lookup: %v", res)
	}
	for i := 0; i+1 < len(hdrs); i += 2 {
		ctx.Response.Header.Add(hdrs[i], hdrs[i+1])
	}
	ctx.Response.SetBodyString("v1")
	if m := fill.Done(ctx); !m.Stored() {
		t.Fatalf("not stored: %+v", m)
	}
	c.Wait()
	clock.Advance(after)
	return c, clock
}

func key(ctx *fasthttp.RequestCtx) []byte { return AppendDefaultKey(nil, &ctx.Request, nil) }

// TestRevalidate304Merges: the conditional request carries the stored
// validators instead of the client's, a 304 is merged into the entry
// (new field values, not Content-Type) and stored with its new lifetime,
// and the client's conditions are back on the request afterwards.
func TestRevalidate304Merges(t *testing.T) {
	p := &Policy{Rule: "r"}
	c, clock := staleCache(t, p, 11*time.Second, "Cache-Control", "max-age=10", "ETag", `"a"`,
		"Last-Modified", "Mon, 07 Dec 2026 10:00:00 GMT", "X-A", "1", "Content-Type", "text/x-old")
	ctx := newCtx("GET", "/s", "If-None-Match", `"client"`)
	res, fill := c.Lookup(ctx, p, key(ctx))
	if res != Miss {
		t.Fatalf("stale lookup: %v", res)
	}
	h := &ctx.Request.Header
	if string(h.Peek("If-None-Match")) != `"a"` || string(h.Peek("If-Modified-Since")) != "Mon, 07 Dec 2026 10:00:00 GMT" {
		t.Fatalf("conditions: %q %q", h.Peek("If-None-Match"), h.Peek("If-Modified-Since"))
	}
	ctx.Response.SetStatusCode(304)
	ctx.Response.Header.Set("Cache-Control", "max-age=100")
	ctx.Response.Header.Set("X-A", "2")
	ctx.Response.Header.SetContentType("text/x-new")
	m := fill.Done(ctx)
	if m.Reval != RevalNotModified || !m.Stored() {
		t.Fatalf("Done: %+v", m)
	}
	r := &ctx.Response
	if r.StatusCode() != 200 || string(r.Body()) != "v1" || string(r.Header.Peek("X-A")) != "2" ||
		string(r.Header.ContentType()) != "text/x-old" || string(h.Peek("If-None-Match")) != `"client"` {
		t.Fatalf("merged: %d %q X-A %q type %q; request If-None-Match %q", r.StatusCode(), r.Body(),
			r.Header.Peek("X-A"), r.Header.ContentType(), h.Peek("If-None-Match"))
	}
	c.Wait()
	clock.Advance(50 * time.Second)
	ctx = newCtx("GET", "/s")
	if res, _ := c.Lookup(ctx, p, key(ctx)); res != Hit || string(ctx.Response.Header.Peek("X-A")) != "2" {
		t.Fatalf("after the 304: %v %q", res, ctx.Response.Header.Peek("X-A"))
	}
	if n := c.Stats().Revalidations["not-modified"]; n != 1 {
		t.Fatalf("not-modified counted %d times", n)
	}
}

// TestStaleWhileRevalidateOneFill: within stale-while-revalidate the first
// lookup serves stale and gets the one Fill; the next ones serve stale
// with none; the refresh's new response is then a hit.
func TestStaleWhileRevalidateOneFill(t *testing.T) {
	p := &Policy{Rule: "r"}
	c, _ := staleCache(t, p, 11*time.Second, "Cache-Control", "max-age=10, stale-while-revalidate=60", "ETag", `"a"`)
	ctx := newCtx("GET", "/s", "Range", "bytes=0-1")
	res, fill := c.Lookup(ctx, p, key(ctx))
	if res != Refresh || fill == nil || string(ctx.Response.Body()) != "v1" || xcacheOf(ctx) != "STALE" {
		t.Fatalf("first stale lookup: %v %v %q", res, fill, ctx.Response.Body())
	}
	for i := 0; i < 5; i++ {
		other := newCtx("GET", "/s")
		if res, f := c.Lookup(other, p, key(other)); res != Refresh || f != nil || string(other.Response.Body()) != "v1" {
			t.Fatalf("stale lookup %d: %v %v", i, res, f)
		}
	}
	bg := new(fasthttp.RequestCtx)
	bg.Init(&ctx.Request, nil, nil)
	fill.Prepare(&bg.Request)
	if string(bg.Request.Header.Peek("If-None-Match")) != `"a"` || len(bg.Request.Header.Peek("Range")) != 0 {
		t.Fatalf("background request: %s", bg.Request.Header.Header())
	}
	bg.Response.Header.Set("Cache-Control", "max-age=10")
	bg.Response.SetBodyString("v2")
	if m := fill.Done(bg); m.Reval != RevalModified || !m.Stored() {
		t.Fatalf("refresh: %+v", m)
	}
	c.Wait()
	ctx = newCtx("GET", "/s")
	if res, _ := c.Lookup(ctx, p, key(ctx)); res != Hit || string(ctx.Response.Body()) != "v2" {
		t.Fatalf("after the refresh: %v %q", res, ctx.Response.Body())
	}
}

// TestStaleKeptBounded: an entry without validators or stale-* windows is
// a plain miss once stale; one with a validator is revalidated until
// staleKeepValidated has passed.
func TestStaleKeptBounded(t *testing.T) {
	p := &Policy{Rule: "r"}
	c, _ := staleCache(t, p, 11*time.Second, "Cache-Control", "max-age=10")
	ctx := newCtx("GET", "/s")
	if res, f := c.Lookup(ctx, p, key(ctx)); res != Miss || f.stale != nil {
		t.Fatalf("no validator: %v, stale %v", res, f.stale != nil)
	}
	c2, clock := staleCache(t, p, 11*time.Second, "Cache-Control", "max-age=10", "ETag", `"a"`)
	ctx = newCtx("GET", "/s")
	if res, f := c2.Lookup(ctx, p, key(ctx)); res != Miss || f.stale == nil {
		t.Fatalf("validator: %v", res)
	} else {
		f.Abort()
	}
	clock.Advance(staleKeepValidated)
	ctx = newCtx("GET", "/s")
	if res, f := c2.Lookup(ctx, p, key(ctx)); res != Miss || f.stale != nil || len(ctx.Request.Header.Peek("If-None-Match")) != 0 {
		t.Fatalf("past the bound: %v", res)
	}
}

func xcacheOf(ctx *fasthttp.RequestCtx) string { return string(ctx.Response.Header.Peek("X-Cache")) }

// TestRevalidateFromRedis: an instance whose memory does not hold the key
// revalidates the stale entry another instance wrote to Redis, instead of
// fetching the whole response.
func TestRevalidateFromRedis(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client()
	a := newGateway(t, testConfig(), WithRedis(rdb, redisOpts()))
	b := newGateway(t, testConfig(), WithRedis(rdb, redisOpts()))
	a.setBackend(func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Cache-Control", "max-age=1")
		ctx.Response.Header.Set("ETag", `"r"`)
		ctx.SetBodyString("from a")
	})
	var inm string
	b.setBackend(func(ctx *fasthttp.RequestCtx) {
		inm = string(ctx.Request.Header.Peek("If-None-Match"))
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.SetStatusCode(fasthttp.StatusNotModified)
	})
	a.get("/rr")
	a.settle()
	b.clock.Advance(2 * time.Second)
	r := b.get("/rr")
	if inm != `"r"` || r.StatusCode() != 200 || string(r.Body()) != "from a" || xcache(r) != "REVALIDATED" {
		t.Fatalf("B: If-None-Match %q, %d %q %q", inm, r.StatusCode(), r.Body(), xcache(r))
	}
}

// TestPolicyStaleDefaultsValidated: the rule's stale defaults are seconds
// from 0 to maxStaleWindow.
func TestPolicyStaleDefaultsValidated(t *testing.T) {
	for _, p := range []Policy{{StaleIfError: -1}, {StaleWhileRevalidate: -1}, {StaleIfError: 86401}, {StaleWhileRevalidate: 1e9}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if p := (Policy{StaleIfError: 86400, StaleWhileRevalidate: 30}); p.Validate() != nil {
		t.Errorf("%+v refused: %v", p, p.Validate())
	}
}

// TestHeadRefreshesOrDrops: a HEAD for a stale entry that gets a 200 with
// the stored validator refreshes the GET entry with its header fields
// (§4.3.5); one with another validator drops the entry.
func TestHeadRefreshesOrDrops(t *testing.T) {
	p := &Policy{Rule: "r"}
	for _, tc := range []struct {
		etag string
		kept bool
	}{{`"a"`, true}, {`"b"`, false}} {
		c, _ := staleCache(t, p, 11*time.Second, "Cache-Control", "max-age=10", "ETag", `"a"`)
		ctx := newCtx("HEAD", "/s")
		res, fill := c.Lookup(ctx, p, key(ctx))
		if res != Miss || fill.stale == nil {
			t.Fatalf("HEAD lookup: %v", res)
		}
		ctx.Response.Header.Set("Cache-Control", "max-age=100")
		ctx.Response.Header.Set("ETag", tc.etag)
		ctx.Response.Header.Set("X-Head", "1")
		ctx.Response.SkipBody = true
		fill.Done(ctx)
		c.Wait()
		get := newCtx("GET", "/s")
		res, f := c.Lookup(get, p, key(get))
		switch {
		case tc.kept && (res != Hit || string(get.Response.Body()) != "v1" || string(get.Response.Header.Peek("X-Head")) != "1"):
			t.Errorf("same validator: %v %q X-Head %q", res, get.Response.Body(), get.Response.Header.Peek("X-Head"))
		case !tc.kept && (res != Miss || f.stale != nil):
			t.Errorf("other validator: %v, stale kept %v", res, f != nil && f.stale != nil)
		}
	}
}

// TestRevalidatedClientValidator: a client whose own If-None-Match matches
// the entry a 304 refreshed gets a 304, from the refreshed entry.
func TestRevalidatedClientValidator(t *testing.T) {
	p := &Policy{Rule: "r"}
	c, _ := staleCache(t, p, 11*time.Second, "Cache-Control", "max-age=10", "ETag", `"a"`)
	ctx := newCtx("GET", "/s", "If-None-Match", `W/"a"`)
	res, fill := c.Lookup(ctx, p, key(ctx))
	if res != Miss || string(ctx.Request.Header.Peek("If-None-Match")) != `"a"` {
		t.Fatalf("stale lookup: %v, If-None-Match %q", res, ctx.Request.Header.Peek("If-None-Match"))
	}
	ctx.Response.SetStatusCode(304)
	ctx.Response.Header.Set("Cache-Control", "max-age=100")
	if m := fill.Done(ctx); m.Reval != RevalNotModified {
		t.Fatalf("Done: %+v", m)
	}
	if r := &ctx.Response; r.StatusCode() != 304 || len(r.Body()) != 0 || string(r.Header.Peek("ETag")) != `"a"` || xcacheOf(ctx) != "REVALIDATED" {
		t.Fatalf("client answer: %d %q ETag %q", r.StatusCode(), r.Body(), r.Header.Peek("ETag"))
	}
}

// TestSelects304: which 304s select the stored response for update
// (RFC 9111 §4.3.4): a strong ETag only by the strong comparison, a weak one
// by the weak comparison, a Last-Modified only when it is the stored one,
// and a 304 with no validator the one response asked about.
func TestSelects304(t *testing.T) {
	stored := func(etag, lm string) *entry {
		p := entryParts{kind: kindResponse, status: 200, key: []byte("k")}
		if etag != "" {
			p.hdrs = append(p.hdrs, field{[]byte("ETag"), []byte(etag)})
		}
		if lm != "" {
			p.hdrs = append(p.hdrs, field{[]byte("Last-Modified"), []byte(lm)})
		}
		return encodeEntry(&p)
	}
	const lm1, lm2 = "Mon, 07 Dec 2026 10:00:00 GMT", "Mon, 07 Dec 2026 11:00:00 GMT"
	for _, c := range []struct {
		storedTag, storedLM, tag, lm string
		want                         bool
	}{
		{`"a"`, "", `"a"`, "", true},
		{`"a"`, "", `"b"`, "", false},
		{`W/"a"`, "", `"a"`, "", false}, // strong comparison: both must be strong
		{`"a"`, "", `W/"a"`, "", true},  // weak: the opaque tags match
		{`"a"`, "", `W/"b"`, "", false},
		{"", lm1, "", lm1, true},
		{"", lm1, "", lm2, false},
		{`"a"`, lm1, "", "", true}, // no validator in the 304
		{"", "", `"a"`, "", false},
	} {
		var resp fasthttp.Response
		resp.SetStatusCode(304)
		if c.tag != "" {
			resp.Header.Set("ETag", c.tag)
		}
		if c.lm != "" {
			resp.Header.Set("Last-Modified", c.lm)
		}
		if got := selects(&resp, stored(c.storedTag, c.storedLM)); got != c.want {
			t.Errorf("stored %q/%q, 304 %q/%q: selects = %v", c.storedTag, c.storedLM, c.tag, c.lm, got)
		}
	}
}
