package cache

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestETagListMatches(t *testing.T) {
	cases := []struct {
		list, etag string
		want       bool
	}{
		{`"a"`, `"a"`, true},
		{`W/"a"`, `"a"`, true}, // weak comparison
		{`"a"`, `W/"a"`, true},
		{`"x", W/"a"`, `"a"`, true},
		{` "x" ,"y",  "a" `, `"a"`, true},
		{`"b"`, `"a"`, false},
		{`*`, `"a"`, true},
		{`*`, ``, true}, // any stored response
		{`"a"`, ``, false},
		{`a`, `a`, false},    // unquoted: not an entity-tag
		{`"a`, `"a"`, false}, // unterminated
		{`"a,b"`, `"a,b"`, true},
		{`"ab"`, `"a"`, false},
	}
	for _, c := range cases {
		if got := etagListMatches([]byte(c.list), []byte(c.etag)); got != c.want {
			t.Errorf("If-None-Match %q vs ETag %q: %v, want %v", c.list, c.etag, got, c.want)
		}
	}
}

func TestParseHTTPDate(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC),
		time.Date(2000, 2, 29, 23, 59, 59, 0, time.UTC),
		time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2100, 12, 31, 12, 0, 0, 0, time.UTC),
	} {
		got, ok := parseHTTPDate([]byte(tm.Format(http.TimeFormat)))
		if !ok || got != tm.Unix() {
			t.Errorf("%s: %d %v, want %d", tm.Format(http.TimeFormat), got, ok, tm.Unix())
		}
	}
	for _, bad := range []string{
		"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Xyz 1994 08:49:37 GMT", "Sun, 6a Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 25:49:37 GMT",
	} {
		if _, ok := parseHTTPDate([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestClientConditionals: a fresh entry answers If-None-Match (weak) and
// If-Modified-Since with a 304 carrying the §15.4.5 fields and no body;
// If-None-Match takes precedence; If-Match goes to the origin.
func TestClientConditionals(t *testing.T) {
	g := newGateway(t, testConfig())
	lm := time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)
	g.setBackend(func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Response.Header
		h.Set("Cache-Control", "max-age=600")
		h.Set("ETag", `W/"v1"`)
		h.Set("Last-Modified", lm.Format(http.TimeFormat))
		h.Set("Content-Location", "/c.json")
		h.Set("Vary", "Accept")
		h.SetContentType("application/json")
		ctx.SetBodyString(`{"v":1}`)
	})
	g.get("/c")
	g.settle()
	before := lm.Add(-time.Hour).Format(http.TimeFormat)
	after := lm.Add(time.Hour).Format(http.TimeFormat)
	for _, c := range []struct {
		name string
		hdrs []string
		want int
	}{
		{"INM strong form of weak tag", []string{"If-None-Match", `"v1"`}, 304},
		{"INM list", []string{"If-None-Match", `"v0", W/"v1"`}, 304},
		{"INM star", []string{"If-None-Match", `*`}, 304},
		{"INM other", []string{"If-None-Match", `"v2"`}, 200},
		{"IMS after", []string{"If-Modified-Since", after}, 304},
		{"IMS equal", []string{"If-Modified-Since", lm.Format(http.TimeFormat)}, 304},
		{"IMS before", []string{"If-Modified-Since", before}, 200},
		{"IMS unreadable", []string{"If-Modified-Since", "yesterday"}, 200},
		{"INM over IMS", []string{"If-None-Match", `"v2"`, "If-Modified-Since", after}, 200},
	} {
		resp := g.get("/c", c.hdrs...)
		if resp.StatusCode() != c.want || xcache(resp) != "HIT" {
			t.Fatalf("%s: %d %s, want %d from the cache", c.name, resp.StatusCode(), xcache(resp), c.want)
		}
		if c.want == 304 {
			h := &resp.Header
			if len(resp.Body()) != 0 || string(h.Peek("ETag")) != `W/"v1"` || string(h.Peek("Cache-Control")) != "max-age=600" ||
				string(h.Peek("Content-Location")) != "/c.json" || string(h.Peek("Vary")) != "Accept" ||
				len(h.Peek("Date")) == 0 || len(h.Peek("Age")) == 0 {
				t.Fatalf("%s: 304 headers %s body %q", c.name, h.String(), resp.Body())
			}
			if string(h.Peek("Content-Type")) == "application/json" {
				t.Fatalf("%s: 304 carries the representation's Content-Type", c.name)
			}
		}
	}
	if n := g.hits.Load(); n != 1 {
		t.Fatalf("backend saw %d requests, want 1", n)
	}
	if resp := g.get("/c", "If-Match", `"v1"`); resp.StatusCode() != 200 || g.hits.Load() != 2 {
		t.Fatalf("If-Match: %d, backend %d: want it forwarded", resp.StatusCode(), g.hits.Load())
	}
	if resp := g.get("/c", "If-Unmodified-Since", after); resp.StatusCode() != 200 || g.hits.Load() != 3 {
		t.Fatalf("If-Unmodified-Since: %d, backend %d: want it forwarded", resp.StatusCode(), g.hits.Load())
	}
}

// TestMayBeConditional: the raw-header gate lets through every request
// with an If-* or Range field, in any case and position, and only those.
func TestMayBeConditional(t *testing.T) {
	cases := []struct {
		raw  string
		want bool
	}{
		{"Host: a\r\nAccept: */*\r\n\r\n", false},
		{"Host: a\r\nReferer: /x\r\nX-If-None-Match: 1\r\n\r\n", false},
		{"Host: a\r\nIf-None-Match: \"v\"\r\n\r\n", true},
		{"host: a\r\nif-modified-since: x\r\n\r\n", true},
		{"IF-MATCH: *\r\nHost: a\r\n\r\n", true},
		{"Host: a\r\nrAnGe: bytes=0-1\r\n\r\n", true},
		{"Host: a\r\nIf-Range: x\r\nRange: bytes=0-1\r\n\r\n", true},
	}
	for _, c := range cases {
		var req fasthttp.Request
		if err := req.Read(bufio.NewReader(strings.NewReader("GET / HTTP/1.1\r\n" + c.raw))); err != nil {
			t.Fatalf("%q: %v", c.raw, err)
		}
		if got := mayBeConditional(&req); got != c.want {
			t.Errorf("%q: %v, want %v", c.raw, got, c.want)
		}
	}
	// Built in process: no raw header, so every field is looked at.
	var req fasthttp.Request
	req.Header.Set("Accept", "*/*")
	if !mayBeConditional(&req) {
		t.Error("a request without a raw header must be looked at field by field")
	}
}
