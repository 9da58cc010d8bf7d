package proxy

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

// conditionalBackend answers every path with body as JSON and ETag "v1",
// and with a 304 (ETag and Cache-Control only, no Vary: the backend does
// not compress) to an If-None-Match naming v1, weak or strong. /notransform
// says Cache-Control: no-transform, /small is below min_bytes.
func conditionalBackend(t testing.TB, body []byte, hits *atomic.Int32) string {
	return startBackend(t, func(ctx *fasthttp.RequestCtx) {
		hits.Add(1)
		h := &ctx.Response.Header
		h.Set("ETag", `"v1"`)
		cc := "max-age=60"
		if strings.HasSuffix(string(ctx.Path()), "/notransform") {
			cc += ", no-transform"
		}
		h.Set("Cache-Control", cc)
		if inm := string(ctx.Request.Header.Peek("If-None-Match")); inm == `"v1"` || inm == `W/"v1"` {
			ctx.SetStatusCode(fasthttp.StatusNotModified)
			return
		}
		ctx.SetContentType("application/json")
		if strings.HasSuffix(string(ctx.Path()), "/small") {
			ctx.SetBodyString(`{"ok":true}`)
			return
		}
		ctx.SetBody(body)
	})
}

// TestCompressionNotModifiedVary: a 304 on a compressing rule carries the
// Vary: Accept-Encoding (and the ETag) the 200 would have (RFC 9110
// §15.4.5), whether the cache answers it from the stored entry or the
// backend sends it: a 200 in gzip, then the same request with its ETag.
func TestCompressionNotModifiedVary(t *testing.T) {
	body := jsonBody(16 << 10)
	var hits atomic.Int32
	h := startGateway(t, configYAML(conditionalBackend(t, body, &hits), compressRules))
	gz := map[string]string{"Accept-Encoding": "gzip"}
	for _, tc := range []struct {
		name, path string
		cached     bool
	}{
		{"cache-answered", "/cached/doc", true},
		{"backend-answered", "/live/doc", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, got := doRaw(t, "GET", h.url+tc.path, gz)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(decodeAs(t, "gzip", []byte(got)), body) {
				t.Fatalf("200: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
			}
			etag := resp.Header.Get("ETag")
			if etag != `W/"v1"` || resp.Header.Get("Vary") != "Accept-Encoding" {
				t.Fatalf("200: ETag %q, Vary %q", etag, resp.Header.Values("Vary"))
			}
			h.gw.cache.Wait()
			before := hits.Load()
			resp, got = doRaw(t, "GET", h.url+tc.path, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
			if resp.StatusCode != 304 || got != "" {
				t.Fatalf("conditional: %d with %d body bytes, want 304", resp.StatusCode, len(got))
			}
			if v := resp.Header.Values("Vary"); len(v) != 1 || v[0] != "Accept-Encoding" {
				t.Errorf("304: Vary %q, want the 200's Accept-Encoding", v)
			}
			if x := resp.Header.Get("X-Cache"); tc.cached != (x == "HIT") || tc.cached == (hits.Load() != before) {
				t.Errorf("304: X-Cache %q, backend asked %d times", x, hits.Load()-before)
			}
			wantETag := `"v1"` // a backend's 304 keeps its own
			if tc.cached {
				wantETag = `W/"v1"` // the cache's 304 names the 200 it stands for: encoded, weak
			}
			if et := resp.Header.Get("ETag"); et != wantETag {
				t.Errorf("304 in gzip: ETag %q, want %q", et, wantETag)
			}
			// A client taking identity: the 200 would be the backend's bytes,
			// strong ETag, and would still vary.
			resp, _ = doRaw(t, "GET", h.url+tc.path, map[string]string{"If-None-Match": `"v1"`})
			if resp.StatusCode != 304 || resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("ETag") != `"v1"` {
				t.Errorf("identity 304: %d, Vary %q, ETag %q", resp.StatusCode, resp.Header.Values("Vary"), resp.Header.Get("ETag"))
			}
		})
	}
	// Answers whose 200 would never be encoded get no Vary on their 304:
	// below min_bytes (known from the stored entry), and no-transform.
	for _, path := range []string{"/cached/small", "/cached/notransform", "/live/notransform"} {
		resp, _ := doRaw(t, "GET", h.url+path, gz)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "" {
			t.Fatalf("%s 200: %d, Content-Encoding %q, Vary %q", path, resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Values("Vary"))
		}
		h.gw.cache.Wait()
		resp, _ = doRaw(t, "GET", h.url+path, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": `"v1"`})
		if resp.StatusCode != 304 || resp.Header.Get("Vary") != "" || resp.Header.Get("ETag") != `"v1"` {
			t.Errorf("%s 304: %d, Vary %q, ETag %q", path, resp.StatusCode, resp.Header.Values("Vary"), resp.Header.Get("ETag"))
		}
		if strings.HasPrefix(path, "/cached/") && resp.Header.Get("X-Cache") != "HIT" {
			t.Errorf("%s 304: X-Cache %q, want HIT", path, resp.Header.Get("X-Cache"))
		}
	}
}
