package proxy

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// rangeOrigin serves "0123456789" with a strong ETag, fresh for a minute,
// with Accept-Ranges: bytes (without it nginx serves no range from its
// cache; Premier does either way), and answers a single "bytes=a-b" Range
// itself with a 206.
func rangeOrigin(ctx *fasthttp.RequestCtx) {
	const body = "0123456789"
	ctx.Response.Header.Set("Cache-Control", "max-age=60")
	ctx.Response.Header.Set("Accept-Ranges", "bytes")
	ctx.Response.Header.Set("ETag", `"r1"`)
	ctx.Response.Header.Set("Last-Modified", condLastModified.Format(http.TimeFormat))
	if r := string(ctx.Request.Header.Peek("Range")); strings.HasPrefix(r, "bytes=") {
		a, b, _ := strings.Cut(r[len("bytes="):], "-")
		first, err1 := strconv.Atoi(a)
		last, err2 := strconv.Atoi(b)
		if err1 == nil && err2 == nil && first <= last && last < len(body) {
			ctx.SetStatusCode(206)
			ctx.Response.Header.Set("Content-Range", "bytes "+a+"-"+b+"/10")
			ctx.SetBodyString(body[first : last+1])
			return
		}
	}
	ctx.SetBodyString(body)
}

// TestCacheRanges: a Range on a hit is served from the complete stored 200
// by both caches (206 with Content-Range, 416 past the end, If-Range
// honoured). On a miss Premier forwards the Range and passes the origin's
// 206 on unstored; nginx drops the Range, fetches and stores the whole
// response and cuts the range from it. Several ranges: Premier sends the
// whole 200 (RFC 9110 §14.2 lets a server ignore Range), nginx a
// multipart/byteranges 206.
func TestCacheRanges(t *testing.T) {
	for _, c := range cacheTargets(t, rangeOrigin, condRule) {
		resp, body := do(t, "GET", c.url+"/m", nil, map[string]string{"Range": "bytes=0-1"})
		if resp.StatusCode != 206 || body != "01" || resp.Header.Get("Content-Range") != "bytes 0-1/10" {
			t.Errorf("%s: range miss: %d %q %q", c.name, resp.StatusCode, body, resp.Header.Get("Content-Range"))
		}
		seen := c.origin.Seen("/m")
		if c.name == "premier" {
			if len(seen) != 1 || seen[0].Range != "bytes=0-1" {
				t.Errorf("premier: the range miss reached the origin as %+v, want the Range forwarded", seen)
			}
			getBody(t, c.url+"/m", nil) // Premier fills on a whole GET
			c.settle()
		} else if len(seen) != 1 || seen[0].Range != "" {
			t.Errorf("nginx: the range miss reached the origin as %+v, want without Range", seen)
		}
		before := c.origin.Count("/m")
		cases := []struct {
			hdr        map[string]string
			status     int
			body, crng string
		}{
			{map[string]string{"Range": "bytes=2-4"}, 206, "234", "bytes 2-4/10"},
			{map[string]string{"Range": "bytes=-3"}, 206, "789", "bytes 7-9/10"},
			{map[string]string{"Range": "bytes=20-"}, 416, "", "bytes */10"},
			{map[string]string{"Range": "bytes=1-1", "If-Range": `"r1"`}, 206, "1", "bytes 1-1/10"},
			{map[string]string{"Range": "bytes=1-1", "If-Range": `"r0"`}, 200, "0123456789", ""},
			{map[string]string{"Range": "bytes=1-1", "If-Range": condLastModified.Format(http.TimeFormat)}, 206, "1", "bytes 1-1/10"},
		}
		for _, k := range cases {
			resp, body := do(t, "GET", c.url+"/m", nil, k.hdr)
			if k.status == 416 && c.name == "nginx" {
				body = "" // nginx's 416 carries its HTML error page
			}
			if resp.StatusCode != k.status || body != k.body || resp.Header.Get("Content-Range") != k.crng {
				t.Errorf("%s %v: %d %q Content-Range %q, want %d %q %q", c.name, k.hdr, resp.StatusCode, body,
					resp.Header.Get("Content-Range"), k.status, k.body, k.crng)
			}
		}
		resp, body = do(t, "GET", c.url+"/m", nil, map[string]string{"Range": "bytes=0-1,4-5"})
		switch c.name {
		case "premier":
			if resp.StatusCode != 200 || body != "0123456789" {
				t.Errorf("premier: several ranges: %d %q, want the whole 200", resp.StatusCode, body)
			}
		case "nginx":
			if resp.StatusCode != 206 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") {
				t.Errorf("nginx: several ranges: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
		if n := c.origin.Count("/m"); n != before {
			t.Errorf("%s: the ranges on a hit reached the origin %d times", c.name, n-before)
		}
	}
}
