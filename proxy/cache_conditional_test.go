package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// condOrigin serves /c with a weak ETag and a Last-Modified, fresh for a
// minute; the test compares how Premier and nginx answer clients'
// conditionals from the stored response.
var condLastModified = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func condOrigin(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	h.Set("Cache-Control", "max-age=60")
	h.Set("ETag", `W/"v1"`)
	h.Set("Last-Modified", condLastModified.Format(http.TimeFormat))
	h.Set("Content-Location", "/c.json")
	h.Set("Vary", "Accept-Encoding")
	h.SetContentType("application/json")
	ctx.SetBodyString(`{"v":1}`)
}

const condRule = "  paths:\n    - pattern: \"/*\"\n      features: {cache: {}}\n"

// TestCacheClientConditionals: If-None-Match (weak comparison) and
// If-Modified-Since are answered 304 from a fresh entry with the §15.4.5
// fields, without asking the origin; If-None-Match takes precedence over
// If-Modified-Since (RFC 9110 §13.2.2). nginx agrees except where noted:
// its default `if_modified_since exact` answers 304 only for the exact
// Last-Modified date.
func TestCacheClientConditionals(t *testing.T) {
	lm := condLastModified.Format(http.TimeFormat)
	later := condLastModified.Add(time.Hour).Format(http.TimeFormat)
	earlier := condLastModified.Add(-time.Hour).Format(http.TimeFormat)
	cases := []struct {
		name         string
		hdr          map[string]string
		premier, ngx int
	}{
		{"INM weak tag", map[string]string{"If-None-Match": `W/"v1"`}, 304, 304},
		{"INM strong form", map[string]string{"If-None-Match": `"v1"`}, 304, 304},
		{"INM list", map[string]string{"If-None-Match": `"v0", W/"v1"`}, 304, 304},
		{"INM star", map[string]string{"If-None-Match": `*`}, 304, 304},
		{"INM other", map[string]string{"If-None-Match": `"v2"`}, 200, 200},
		{"IMS exact", map[string]string{"If-Modified-Since": lm}, 304, 304},
		{"IMS later", map[string]string{"If-Modified-Since": later}, 304, 200},
		{"IMS earlier", map[string]string{"If-Modified-Since": earlier}, 200, 200},
		{"INM wins over IMS", map[string]string{"If-None-Match": `"v2"`, "If-Modified-Since": lm}, 200, 200},
	}
	for _, c := range cacheTargets(t, condOrigin, condRule) {
		if resp, body := do(t, "GET", c.url+"/c", nil, nil); resp.StatusCode != 200 || body != `{"v":1}` {
			t.Fatalf("%s: fill %d %q", c.name, resp.StatusCode, body)
		}
		c.settle()
		for _, k := range cases {
			resp, body := do(t, "GET", c.url+"/c", nil, k.hdr)
			want := k.premier
			if c.name == "nginx" {
				want = k.ngx
			}
			if resp.StatusCode != want {
				t.Errorf("%s %s: %d, want %d", c.name, k.name, resp.StatusCode, want)
				continue
			}
			if want != 304 {
				continue
			}
			h := resp.Header
			if body != "" || h.Get("ETag") != `W/"v1"` || h.Get("Cache-Control") != "max-age=60" ||
				h.Get("Content-Location") != "/c.json" || h.Get("Vary") != "Accept-Encoding" || h.Get("Date") == "" {
				t.Errorf("%s %s: 304 with %v, body %q", c.name, k.name, h, body)
			}
			if c.name == "premier" && (h.Get("Age") == "" || h.Get("X-Cache") != "HIT") {
				t.Errorf("%s %s: 304 not marked a hit: %v", c.name, k.name, h)
			}
		}
		if n := c.origin.Count("/c"); n != 1 {
			t.Errorf("%s: origin saw %d requests, want 1 (the conditionals answered from the cache)", c.name, n)
		}
	}
}

// TestCacheOriginPreconditions: If-Match and If-Unmodified-Since are
// forwarded to the origin (RFC 9111 §4.3.2: they guard state at the
// origin), which answers 412 itself; the cache stores neither answer and
// keeps serving its entry. nginx evaluates both against its stored copy
// instead (its not_modified filter) and never asks the origin.
func TestCacheOriginPreconditions(t *testing.T) {
	origin := func(ctx *fasthttp.RequestCtx) {
		if im := ctx.Request.Header.Peek("If-Match"); len(im) > 0 && string(im) != `"v1"` {
			ctx.SetStatusCode(412)
			return
		}
		if ius := ctx.Request.Header.Peek("If-Unmodified-Since"); len(ius) > 0 {
			if t, err := http.ParseTime(string(ius)); err == nil && t.Before(condLastModified) {
				ctx.SetStatusCode(412)
				return
			}
		}
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.Response.Header.Set("ETag", `"v1"`)
		ctx.Response.Header.Set("Last-Modified", condLastModified.Format(http.TimeFormat))
		ctx.SetBodyString("v1")
	}
	earlier := condLastModified.Add(-time.Hour).Format(http.TimeFormat)
	cases := []struct {
		hdr  map[string]string
		want int
	}{
		{map[string]string{"If-Match": `"v1"`}, 200},
		{map[string]string{"If-Match": `"v0"`}, 412},
		{map[string]string{"If-Unmodified-Since": earlier}, 412},
	}
	for _, c := range cacheTargets(t, origin, condRule) {
		do(t, "GET", c.url+"/p", nil, nil)
		c.settle()
		for _, k := range cases {
			if resp, _ := do(t, "GET", c.url+"/p", nil, k.hdr); resp.StatusCode != k.want {
				t.Errorf("%s %v: %d, want %d", c.name, k.hdr, resp.StatusCode, k.want)
			}
		}
		resp, body := do(t, "GET", c.url+"/p", nil, nil)
		if resp.StatusCode != 200 || body != "v1" {
			t.Errorf("%s: after the preconditions %d %q", c.name, resp.StatusCode, body)
		}
		want := 1 + len(cases) // Premier: each precondition reached the origin
		if c.name == "nginx" {
			want = 1
		}
		if n := c.origin.Count("/p"); n != want {
			t.Errorf("%s: origin saw %d requests, want %d", c.name, n, want)
		}
		if c.name == "premier" {
			for _, s := range c.origin.Seen("/p")[1:] {
				if s.IfMatch == "" && s.IfUnmodifiedSince == "" {
					t.Errorf("premier: a precondition reached the origin without its header: %+v", s)
				}
			}
		}
	}
}

// TestCacheClientConditionalOnMiss: with nothing stored, a client's
// If-None-Match goes to the origin as sent and the origin's 304 reaches
// the client unstored, so the next plain GET fills the entry. nginx drops
// the client's conditionals, fetches and stores the whole 200 and answers
// the 304 itself. Both clients get their 304.
func TestCacheClientConditionalOnMiss(t *testing.T) {
	origin := func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.Response.Header.Set("ETag", `"m1"`)
		if string(ctx.Request.Header.Peek("If-None-Match")) == `"m1"` {
			ctx.SetStatusCode(304)
			return
		}
		ctx.SetBodyString("m1")
	}
	for _, c := range cacheTargets(t, origin, condRule) {
		resp, body := do(t, "GET", c.url+"/miss", nil, map[string]string{"If-None-Match": `"m1"`})
		if resp.StatusCode != 304 || body != "" || resp.Header.Get("ETag") != `"m1"` {
			t.Errorf("%s: conditional miss: %d %q %v", c.name, resp.StatusCode, body, resp.Header)
		}
		seen := c.origin.Seen("/miss")
		wantINM := `"m1"`
		if c.name == "nginx" {
			wantINM = ""
		}
		if len(seen) != 1 || seen[0].IfNoneMatch != wantINM {
			t.Errorf("%s: origin saw %+v, want one request with If-None-Match %q", c.name, seen, wantINM)
		}
		if body := getBody(t, c.url+"/miss", nil); body != "m1" {
			t.Errorf("%s: plain GET after: %q", c.name, body)
		}
		c.settle() // the memory tier stores asynchronously
		getBody(t, c.url+"/miss", nil)
		want := 2 // Premier: the plain GET fills
		if c.name == "nginx" {
			want = 1
		}
		if n := c.origin.Count("/miss"); n != want {
			t.Errorf("%s: origin saw %d requests, want %d", c.name, n, want)
		}
	}
}
