package cache

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func TestParseByteRange(t *testing.T) {
	cases := []struct {
		spec        string
		first, last int64
		ok          bool
	}{
		{"bytes=0-3", 0, 3, true},
		{"bytes=2-", 2, 9, true},
		{"bytes=-4", 6, 9, true},
		{"bytes=-40", 0, 9, true},
		{"bytes=5-100", 5, 9, true},
		{"BYTES = 1-1", 0, 0, false}, // "bytes=" is the unit then '='
		{"Bytes=1-1", 1, 1, true},
		{"bytes=10-", -1, 0, true}, // past the end: 416
		{"bytes=-0", -1, 0, true},
		{"bytes=3-2", 0, 0, false}, // invalid: ignored
		{"bytes=0-1,3-4", 0, 0, false},
		{"items=0-1", 0, 0, false},
		{"bytes=a-1", 0, 0, false},
		{"bytes=", 0, 0, false},
		{"bytes=1", 0, 0, false},
		{"bytes=99999999999999999999-", 0, 0, false},
	}
	for _, c := range cases {
		first, last, ok := parseByteRange([]byte(c.spec), 10)
		if ok != c.ok || ok && (first != c.first || first >= 0 && last != c.last) {
			t.Errorf("%q: %d-%d %v, want %d-%d %v", c.spec, first, last, ok, c.first, c.last, c.ok)
		}
	}
}

// TestRangeHits: a Range on a hit is served from the stored 200 (206 or
// 416); several ranges and a failed If-Range get the whole 200; a HEAD
// ignores Range; a Range miss is forwarded and its 206 not stored.
func TestRangeHits(t *testing.T) {
	g := newGateway(t, testConfig())
	lm := "Tue, 01 Jan 2030 00:00:00 GMT"
	g.setBackend(func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/nf" {
			ctx.SetStatusCode(404)
			ctx.Response.Header.Set("Cache-Control", "max-age=600")
			ctx.SetBodyString("not found")
			return
		}
		if r := ctx.Request.Header.Peek("Range"); len(r) > 0 {
			ctx.SetStatusCode(206)
			ctx.Response.Header.Set("Content-Range", "bytes 0-0/10")
			ctx.SetBodyString("0")
			return
		}
		ctx.Response.Header.Set("Cache-Control", "max-age=600")
		ctx.Response.Header.Set("ETag", `"r1"`)
		ctx.Response.Header.Set("Last-Modified", lm)
		ctx.SetBodyString("0123456789")
	})
	if resp := g.get("/r", "Range", "bytes=0-0"); resp.StatusCode() != 206 || xcache(resp) != "MISS" {
		t.Fatalf("range miss: %d %s", resp.StatusCode(), xcache(resp))
	}
	g.get("/r")
	g.settle()
	for _, c := range []struct {
		hdrs       []string
		status     int
		body, crng string
	}{
		{[]string{"Range", "bytes=2-4"}, 206, "234", "bytes 2-4/10"},
		{[]string{"Range", "bytes=-3"}, 206, "789", "bytes 7-9/10"},
		{[]string{"Range", "bytes=20-"}, 416, "", "bytes */10"},
		{[]string{"Range", "bytes=0-1,4-5"}, 200, "0123456789", ""},
		{[]string{"Range", "bytes=1-1", "If-Range", `"r1"`}, 206, "1", "bytes 1-1/10"},
		{[]string{"Range", "bytes=1-1", "If-Range", `"r0"`}, 200, "0123456789", ""},
		{[]string{"Range", "bytes=1-1", "If-Range", `W/"r1"`}, 200, "0123456789", ""},
		{[]string{"Range", "bytes=1-1", "If-Range", lm}, 206, "1", "bytes 1-1/10"},
		{[]string{"Range", "bytes=1-1", "If-Range", "Mon, 31 Dec 2029 00:00:00 GMT"}, 200, "0123456789", ""},
		{[]string{"Range", "bytes=1-1", "If-None-Match", `"r1"`}, 304, "", ""},
	} {
		resp := g.get("/r", c.hdrs...)
		if resp.StatusCode() != c.status || string(resp.Body()) != c.body ||
			string(resp.Header.Peek("Content-Range")) != c.crng || xcache(resp) != "HIT" {
			t.Errorf("%v: %d %q Content-Range %q %s, want %d %q %q from the cache", c.hdrs, resp.StatusCode(), resp.Body(),
				resp.Header.Peek("Content-Range"), xcache(resp), c.status, c.body, c.crng)
		}
	}
	if resp := g.do("HEAD", "/r", "Range", "bytes=1-1"); resp.StatusCode() != 200 {
		t.Errorf("HEAD with Range: %d", resp.StatusCode())
	}
	if n := g.hits.Load(); n != 2 {
		t.Fatalf("backend saw %d requests, want 2", n)
	}
	g.get("/nf")
	g.settle()
	if resp := g.get("/nf", "Range", "bytes=0-2"); resp.StatusCode() != 404 || string(resp.Body()) != "not found" || xcache(resp) != "HIT" {
		t.Errorf("Range on a stored 404: %d %q %s, want the whole 404", resp.StatusCode(), resp.Body(), xcache(resp))
	}
}
