package proxy

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// cacheRule caches every path with the rule's cache feature fields.
func cacheRule(fields string) string {
	return "  paths:\n    - pattern: \"/*\"\n      features: {cache: {" + fields + "}}\n"
}

// freshnessOrigin answers each path with the freshness information its
// name says, so one origin serves every row of the freshness tests.
func freshnessOrigin(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	day := 24 * time.Hour
	switch string(ctx.Path()) {
	case "/s-maxage":
		h.Set("Cache-Control", "max-age=0, s-maxage=60")
	case "/max-age":
		h.Set("Cache-Control", "max-age=60")
	case "/max-age-over-expires":
		h.Set("Cache-Control", "max-age=60")
		h.Set("Expires", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
	case "/expires":
		h.Set("Expires", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
	case "/expires-invalid":
		h.Set("Expires", "0")
	case "/last-modified":
		h.Set("Last-Modified", time.Now().Add(-10*day).UTC().Format(http.TimeFormat))
	case "/etag-only":
		h.Set("ETag", `"v1"`)
	case "/public-only":
		h.Set("Cache-Control", "public")
	case "/max-age-1":
		h.Set("Cache-Control", "max-age=1")
	}
	ctx.SetBodyString("body of " + string(ctx.Path()))
}

// get sends a GET for path through c and waits until c has stored what
// it may store of the answer.
func (c cacheTarget) get(t *testing.T, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	resp, body := do(t, "GET", c.url+path, nil, hdr)
	c.settle()
	return resp, body
}

// originCalls requests path twice from c and returns how many requests
// reached its origin.
func originCalls(t *testing.T, c cacheTarget, path string) int {
	t.Helper()
	for i := 0; i < 2; i++ {
		resp, body := c.get(t, path, nil)
		if resp.StatusCode != 200 || body != "body of "+path {
			t.Fatalf("%s %s: %d %q", c.name, path, resp.StatusCode, body)
		}
	}
	return c.origin.Count(path)
}

// checkCalls runs each path against both targets: Premier must make the
// want number of origin requests for two client requests, nginx (recorded
// for the table in docs/caching.md) the nginx number.
func checkCalls(t *testing.T, targets []cacheTarget, rows []struct {
	path           string
	premier, nginx int
}) {
	t.Helper()
	for _, c := range targets {
		for _, r := range rows {
			want := r.premier
			if c.name == "nginx" {
				want = r.nginx
			}
			if n := originCalls(t, c, r.path); n != want {
				t.Errorf("%s %s: origin saw %d requests for 2, want %d", c.name, r.path, n, want)
			}
		}
	}
}

// TestCacheFreshnessFromEachSource: s-maxage over max-age, max-age over
// Expires, Expires − Date alone, an invalid Expires stale on arrival
// (RFC 9111 §4.2.1, §5.3). nginx reads the same sources.
func TestCacheFreshnessFromEachSource(t *testing.T) {
	targets := cacheTargets(t, freshnessOrigin, cacheRule(""))
	checkCalls(t, targets, []struct {
		path           string
		premier, nginx int
	}{
		{"/s-maxage", 1, 1},
		{"/max-age", 1, 1},
		{"/max-age-over-expires", 1, 1},
		{"/expires", 1, 1},
		{"/expires-invalid", 2, 2},
	})
}

// TestCacheHeuristicOnlyWithLastModified: a response with Last-Modified and
// no explicit lifetime is fresh for 10% of its age (§4.2.2); an ETag alone
// or `public` alone gives no lifetime. nginx never computes a heuristic
// lifetime (it needs proxy_cache_valid).
func TestCacheHeuristicOnlyWithLastModified(t *testing.T) {
	targets := cacheTargets(t, freshnessOrigin, cacheRule(""))
	checkCalls(t, targets, []struct {
		path           string
		premier, nginx int
	}{
		{"/last-modified", 1, 2},
		{"/etag-only", 2, 2},
		{"/public-only", 2, 2},
	})
	for _, c := range targets[:1] {
		resp, _ := c.get(t, "/last-modified", nil)
		// The one-day cap, less the age the origin's Date gives the entry
		// (whole seconds, refreshed once a second by fasthttp).
		cs := resp.Header.Get("Cache-Status")
		ttl, err := strconv.Atoi(strings.TrimPrefix(cs, "premier; hit; ttl="))
		if err != nil || ttl < 86397 || ttl > 86400 {
			t.Errorf("heuristic lifetime: Cache-Status %q, want the one-day cap", cs)
		}
	}
}

// TestCacheNoReuseWithoutFreshness: a response with no freshness
// information is never reused (the old "until evicted" rule is gone);
// expire_s, the operator's override, makes it cacheable, as
// proxy_cache_valid does for nginx. A max-age=1 entry is not served past
// its second (nginx, counting whole seconds, may serve it a second late).
func TestCacheNoReuseWithoutFreshness(t *testing.T) {
	targets := cacheTargets(t, freshnessOrigin, cacheRule(""))
	checkCalls(t, targets, []struct {
		path           string
		premier, nginx int
	}{{"/none", 2, 2}})
	for _, c := range targets {
		c.get(t, "/max-age-1", nil)
		time.Sleep(1100 * time.Millisecond)
		c.get(t, "/max-age-1", nil)
		// nginx keeps expiry in whole seconds: it may serve such an entry
		// up to a second late (1 or 2 origin requests, by the clock).
		if n := c.origin.Count("/max-age-1"); n != 2 && (c.name == "premier" || n != 1) {
			t.Errorf("%s: a max-age=1 entry served after 1.1 s (%d origin requests)", c.name, n)
		}
	}
	override := cacheTargets(t, freshnessOrigin, cacheRule("expire_s: 60"), "proxy_cache_valid 200 60s;")
	checkCalls(t, override, []struct {
		path           string
		premier, nginx int
	}{{"/none", 1, 1}})
}

// TestCacheAgeSlowOrigin: the Age of a hit is the corrected initial age of
// RFC 9111 §4.2.3 (the origin's Age plus the request's round trip) plus
// the time in the cache, sent on every reuse. nginx replays the stored Age
// field unchanged.
func TestCacheAgeSlowOrigin(t *testing.T) {
	handler := func(ctx *fasthttp.RequestCtx) {
		time.Sleep(1200 * time.Millisecond)
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.Response.Header.Set("Age", "5")
		ctx.SetBodyString("slow")
	}
	for _, c := range cacheTargets(t, handler, cacheRule("")) {
		miss, _ := c.get(t, "/slow", nil)
		hit, _ := c.get(t, "/slow", nil)
		if c.origin.Count("/slow") != 1 {
			t.Fatalf("%s: not stored", c.name)
		}
		age, err := strconv.Atoi(hit.Header.Get("Age"))
		if err != nil {
			t.Fatalf("%s: hit without Age: %v", c.name, hit.Header)
		}
		switch c.name {
		case "premier":
			// 5 + the 1.2 s round trip = 6 (7 on a machine slow enough to
			// add 0.8 s more); ttl is what is left of 60 s, rounded down.
			if (age != 6 && age != 7) || miss.Header.Get("Age") != "5" {
				t.Errorf("premier: Age %d on the hit (want 5 + 1.2 s = 6), %q on the miss", age, miss.Header.Get("Age"))
			}
			cs := hit.Header.Get("Cache-Status")
			ttl, err := strconv.Atoi(strings.TrimPrefix(cs, "premier; hit; ttl="))
			if err != nil || age+ttl < 59 || age+ttl > 60 {
				t.Errorf("premier: Cache-Status %q with Age %d, want ttl=53 (60 − 6.2 s)", cs, age)
			}
		case "nginx":
			if age != 5 {
				t.Errorf("nginx: Age %d, recorded as the stored 5", age)
			}
		}
		if hit.Header.Get("Date") == "" {
			t.Errorf("%s: hit without Date", c.name)
		}
	}
}

// rawResponse makes a fasthttp handler answer with the exact bytes of
// head (status line and fields, without the blank line) and body, so an
// origin can send fields fasthttp would replace, such as Date.
func rawResponse(ctx *fasthttp.RequestCtx, head func() string, body string) {
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		fmt.Fprintf(c, "%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", head(), len(body), body)
	})
}

// TestCacheApparentAgeFromDate: a response whose Date is 30 s old is 30 s
// old when stored (RFC 9111 §4.2.3's apparent age), so a max-age=60 entry
// is served with Age ≥ 30 and at most 30 s of freshness left. nginx sends
// no Age at all (the origin sent none).
func TestCacheApparentAgeFromDate(t *testing.T) {
	handler := func(ctx *fasthttp.RequestCtx) {
		rawResponse(ctx, func() string {
			return "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nDate: " +
				time.Now().Add(-30*time.Second).UTC().Format(http.TimeFormat)
		}, "dated")
	}
	for _, c := range cacheTargets(t, handler, cacheRule("")) {
		c.get(t, "/dated", nil)
		hit, body := c.get(t, "/dated", nil)
		if body != "dated" || c.origin.Count("/dated") != 1 {
			t.Fatalf("%s: %q, %d origin requests", c.name, body, c.origin.Count("/dated"))
		}
		switch c.name {
		case "premier":
			// Date has whole seconds, so the apparent age is 30 to 31 s and
			// Age (whole seconds, rounded down) is 30 or 31; ttl is what is
			// left of 60 s rounded down, so Age + ttl is 59 or 60.
			age, _ := strconv.Atoi(hit.Header.Get("Age"))
			cs := hit.Header.Get("Cache-Status")
			ttl, err := strconv.Atoi(strings.TrimPrefix(cs, "premier; hit; ttl="))
			if age < 30 || age > 31 || err != nil || age+ttl < 59 || age+ttl > 60 {
				t.Errorf("premier: Age %q, Cache-Status %q; want Age 30 or 31 and Age + ttl 59 or 60", hit.Header.Get("Age"), cs)
			}
		case "nginx":
			if a := hit.Header.Get("Age"); a != "" {
				t.Errorf("nginx: Age %q, recorded as absent", a)
			}
		}
	}
}
