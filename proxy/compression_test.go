package proxy

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	brotli "github.com/molecule-man/go-brrr"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/nginxtest"
)

// jsonBody is a compressible JSON document of about n bytes.
func jsonBody(n int) []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for i := 0; b.Len() < n-80; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"user-%d","active":%t,"score":%d}`, i, i*7, i%3 == 0, i*31%1000)
	}
	b.WriteString("]")
	return b.Bytes()
}

// decodeAs reads b in content coding enc with the decoders.
func decodeAs(t testing.TB, enc string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "":
		return b
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	return out
}

// compressBackend answers /json with body (and the headers the query asks
// for), /small with a short JSON, /png with an image type, /204 empty.
func compressBackend(t testing.TB, body []byte, hits *atomic.Int32) string {
	return startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if hits != nil {
			hits.Add(1)
		}
		h := &ctx.Response.Header
		a := ctx.QueryArgs()
		for _, k := range []string{"Cache-Control", "Vary", "ETag", "Content-Encoding", "Accept-Ranges"} {
			if v := a.Peek(strings.ToLower(k)); len(v) > 0 {
				h.Set(k, string(v))
			}
		}
		switch string(ctx.Path()) {
		case "/small":
			ctx.SetContentType("application/json")
			ctx.SetBodyString(`{"ok":true}`)
		case "/png":
			ctx.SetContentType("image/png")
			ctx.SetBody(body)
		case "/204":
			ctx.SetStatusCode(204)
		case "/stream":
			ctx.SetContentType("application/json")
			ctx.SetBodyStream(bytes.NewReader(body), -1) // chunked
		case "/stream-length":
			ctx.SetContentType("application/json")
			ctx.SetBodyStream(bytes.NewReader(body), len(body))
		case "/partial":
			ctx.SetStatusCode(206)
			h.Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(body)-1, len(body)))
			ctx.SetContentType("application/json")
			ctx.SetBody(body)
		default:
			ctx.SetContentType("application/json; charset=utf-8")
			ctx.SetBody(body)
		}
	})
}

const compressRules = `  compression: {algorithms: [zstd, br, gzip], min_bytes: 1024, types: ["text/*", "application/json"]}
  paths:
    - pattern: "/cached/*"
      features:
        cache: {expire_s: 60}
    - pattern: "/off/*"
      features:
        compression: {algorithms: []}
    - pattern: "/gz/*"
      features:
        compression: {algorithms: [gzip], levels: {gzip: 1}}
    - pattern: "/*"
`

func TestCompressionDecodesToBackendBytes(t *testing.T) {
	body := jsonBody(64 << 10)
	h := startGateway(t, configYAML(compressBackend(t, body, nil), compressRules))
	for _, enc := range []string{"zstd", "br", "gzip"} {
		resp, got := doRaw(t, "GET", h.url+"/json", map[string]string{"Accept-Encoding": enc})
		if ce := resp.Header.Get("Content-Encoding"); ce != enc {
			t.Fatalf("%s: Content-Encoding %q", enc, ce)
		}
		if len(got) >= len(body)/3 {
			t.Errorf("%s: %d bytes from %d", enc, len(got), len(body))
		}
		if !bytes.Equal(decodeAs(t, enc, []byte(got)), body) {
			t.Fatalf("%s: decoded body differs from the backend's", enc)
		}
		if v := resp.Header.Get("Vary"); v != "Accept-Encoding" {
			t.Errorf("%s: Vary %q", enc, v)
		}
	}
	// The rule's own block replaces the default; algorithms: [] turns it off.
	resp, _ := doRaw(t, "GET", h.url+"/gz/json", map[string]string{"Accept-Encoding": "zstd, br, gzip"})
	if ce := resp.Header.Get("Content-Encoding"); ce != "gzip" {
		t.Errorf("gzip-only rule: Content-Encoding %q", ce)
	}
	resp, got := doRaw(t, "GET", h.url+"/off/json", map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "" || got != string(body) {
		t.Errorf("rule with compression off: %v", resp.Header)
	}
}

func TestCompressionNegotiation(t *testing.T) {
	body := jsonBody(8 << 10)
	h := startGateway(t, configYAML(compressBackend(t, body, nil), compressRules))
	for _, tc := range []struct{ ae, want string }{
		{"", ""},
		{"gzip, deflate, br", "br"},
		{"gzip, deflate, br, zstd", "zstd"},
		{"br;q=0.5, gzip;q=0.9", "gzip"},
		{"gzip;q=0", ""},
		{"*", "zstd"},
		{"zstd;q=0, *;q=0.5", "br"},
		{"identity;q=0", ""}, // nothing offered accepted: as it is (no 406)
		{"*;q=0", ""},        // even with identity refused too
		{"identity;q=0, gzip", "gzip"},
		{"deflate", ""},
	} {
		hdr := map[string]string{"Accept-Encoding": tc.ae}
		resp, got := doRaw(t, "GET", h.url+"/json", hdr)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != tc.want {
			t.Errorf("Accept-Encoding %q: %d, Content-Encoding %q, want %q", tc.ae, resp.StatusCode, resp.Header.Get("Content-Encoding"), tc.want)
			continue
		}
		if !bytes.Equal(decodeAs(t, tc.want, []byte(got)), body) {
			t.Errorf("Accept-Encoding %q: body differs", tc.ae)
		}
		if resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q (every eligible answer varies)", tc.ae, resp.Header.Get("Vary"))
		}
	}
}

func TestCompressionNeverCases(t *testing.T) {
	body := jsonBody(8 << 10)
	h := startGateway(t, configYAML(compressBackend(t, body, nil), compressRules))
	gz := map[string]string{"Accept-Encoding": "gzip"}
	for _, tc := range []struct {
		name, method, path string
		hdr                map[string]string
	}{
		{"already encoded", "GET", "/json?content-encoding=br", gz},
		{"no-transform", "GET", "/json?cache-control=public,%20no-transform", gz},
		{"small", "GET", "/small", gz},
		{"type not listed", "GET", "/png", gz},
		{"204", "GET", "/204", gz},
		{"206", "GET", "/partial", gz},
		{"request with Range", "GET", "/json", map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-99"}},
		{"HEAD", "HEAD", "/json", gz},
	} {
		resp, got := doRaw(t, tc.method, h.url+tc.path, tc.hdr)
		ce := resp.Header.Get("Content-Encoding")
		if tc.name == "already encoded" {
			if ce != "br" || got != string(body) {
				t.Errorf("%s: Content-Encoding %q, body changed %v", tc.name, ce, got != string(body))
			}
			continue
		}
		if ce != "" {
			t.Errorf("%s: compressed (%q)", tc.name, ce)
		}
		if tc.method == "GET" && tc.path == "/json" && got != string(body) {
			t.Errorf("%s: body changed", tc.name)
		}
		if tc.name == "HEAD" && resp.ContentLength != int64(len(body)) {
			t.Errorf("HEAD: Content-Length %d, want the identity length %d", resp.ContentLength, len(body))
		}
	}
}

// TestCompressionStreamedBodies: a body the gateway streams (no length, or
// longer than it reads whole) is encoded as it goes and sent chunked; an
// HTTP/1.0 client, which cannot read chunked, gets it as it is.
func TestCompressionStreamedBodies(t *testing.T) {
	body := jsonBody(2 << 20) // over the whole-body size: streamed even with a length
	h := startGateway(t, configYAML(compressBackend(t, body, nil), compressRules))
	for _, path := range []string{"/stream", "/stream-length"} {
		resp, got := doRaw(t, "GET", h.url+path, map[string]string{"Accept-Encoding": "gzip"})
		if resp.Header.Get("Content-Encoding") != "gzip" || resp.ContentLength != -1 {
			t.Fatalf("%s: Content-Encoding %q, Content-Length %d", path, resp.Header.Get("Content-Encoding"), resp.ContentLength)
		}
		if !bytes.Equal(decodeAs(t, "gzip", []byte(got)), body) {
			t.Fatalf("%s: decoded body differs", path)
		}
		raw := rawRequest(t, h.addr, "GET "+path+" HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
		head, rest, _ := strings.Cut(raw, "\r\n\r\n")
		if strings.Contains(strings.ToLower(head), "content-encoding") || strings.Contains(strings.ToLower(head), "chunked") || rest != string(body) {
			t.Fatalf("%s over HTTP/1.0: %s (%d body bytes)", path, head, len(rest))
		}
	}
}

func TestCompressionVaryAndETag(t *testing.T) {
	body := jsonBody(8 << 10)
	h := startGateway(t, configYAML(compressBackend(t, body, nil), compressRules))
	resp, _ := doRaw(t, "GET", h.url+`/json?vary=Origin&etag="v1"&accept-ranges=bytes`, map[string]string{"Accept-Encoding": "gzip"})
	if v := resp.Header.Values("Vary"); len(v) != 1 || v[0] != "Origin, Accept-Encoding" {
		t.Errorf("merged Vary %q", v)
	}
	if et := resp.Header.Get("ETag"); et != `W/"v1"` {
		t.Errorf("ETag %q, want the weakened W/\"v1\"", et)
	}
	if ar := resp.Header.Get("Accept-Ranges"); ar != "" {
		t.Errorf("Accept-Ranges %q on an encoded answer", ar)
	}
	// Not compressed: the strong ETag stays, Vary still merged.
	resp, _ = doRaw(t, "GET", h.url+`/json?vary=Accept-Encoding&etag="v1"`, nil)
	if et := resp.Header.Get("ETag"); et != `"v1"` || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("identity: ETag %q, Vary %q", et, resp.Header.Values("Vary"))
	}
	resp, _ = doRaw(t, "GET", h.url+`/json?vary=*&etag=W/"w"`, map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Vary") != "*" || resp.Header.Get("ETag") != `W/"w"` || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("Vary * and a weak ETag: %v", resp.Header)
	}
}

// TestCompressionWithCache: the entry is the backend's identity bytes and
// every coding is kept with it; hits serve each coding without asking the
// backend, an identity client gets the identity bytes, and a purge drops
// every coding with the entry.
func TestCompressionWithCache(t *testing.T) {
	body := jsonBody(64 << 10)
	var hits atomic.Int32
	h := startGateway(t, configYAML(compressBackend(t, body, &hits), compressRules))
	url := h.url + "/cached/doc"
	first := map[string]string{}
	for round := 0; round < 3; round++ {
		for _, enc := range []string{"gzip", "", "br", "zstd"} {
			resp, got := doRaw(t, "GET", url, map[string]string{"Accept-Encoding": enc})
			if ce := resp.Header.Get("Content-Encoding"); ce != enc {
				t.Fatalf("round %d %q: Content-Encoding %q", round, enc, ce)
			}
			if !bytes.Equal(decodeAs(t, enc, []byte(got)), body) {
				t.Fatalf("round %d %q: body differs", round, enc)
			}
			if resp.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("round %d %q: Vary %q", round, enc, resp.Header.Get("Vary"))
			}
			if round == 0 && enc == "gzip" {
				if x := resp.Header.Get("X-Cache"); x != "MISS" {
					t.Fatalf("first: X-Cache %q", x)
				}
				h.gw.cache.Wait()
			} else if x := resp.Header.Get("X-Cache"); x != "HIT" {
				t.Fatalf("round %d %q: X-Cache %q", round, enc, x)
			}
			if round == 0 {
				first[enc] = got
			} else if got != first[enc] {
				t.Fatalf("round %d %q: a hit's bytes changed (encoded again?)", round, enc)
			}
		}
	}
	if hits.Load() != 1 {
		t.Fatalf("backend asked %d times, want 1", hits.Load())
	}
	if err := h.gw.cache.PurgeAll(); err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{"gzip", "br"} {
		resp, got := doRaw(t, "GET", url, map[string]string{"Accept-Encoding": enc})
		if !bytes.Equal(decodeAs(t, resp.Header.Get("Content-Encoding"), []byte(got)), body) {
			t.Fatalf("after purge %q: body differs", enc)
		}
		if enc == "gzip" && resp.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("after purge: X-Cache %q, want MISS for every coding", resp.Header.Get("X-Cache"))
		}
		h.gw.cache.Wait()
	}
	if hits.Load() != 2 {
		t.Fatalf("backend asked %d times after the purge, want 2", hits.Load())
	}
	// A write through the gateway invalidates the URL: every coding goes.
	if resp, _ := doRaw(t, "GET", url, map[string]string{"Accept-Encoding": "br"}); resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("before the write: X-Cache %q", resp.Header.Get("X-Cache"))
	}
	if resp, _ := doRaw(t, "POST", url, nil); resp.StatusCode != 200 {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	h.gw.cache.Wait()
	for _, enc := range []string{"br", "gzip"} {
		resp, got := doRaw(t, "GET", url, map[string]string{"Accept-Encoding": enc})
		if !bytes.Equal(decodeAs(t, resp.Header.Get("Content-Encoding"), []byte(got)), body) {
			t.Fatalf("after the write %q: body differs", enc)
		}
		if enc == "br" && resp.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("after the write: X-Cache %q, want MISS", resp.Header.Get("X-Cache"))
		}
		h.gw.cache.Wait()
	}
	if hits.Load() != 4 {
		t.Fatalf("backend asked %d times after the write, want 4 (the POST and one refill)", hits.Load())
	}
}

// TestCompressionAgainstNginxGzip sends the same requests to nginx with
// `gzip on` and to the gateway: both compress the same answers with gzip,
// leave the same ones alone, and send Vary.
func TestCompressionAgainstNginxGzip(t *testing.T) {
	body := jsonBody(16 << 10)
	backend := compressBackend(t, body, nil)
	ng := nginxtest.Start(t, strings.TrimPrefix(backend, "http://"),
		"gzip on;", "gzip_proxied any;", "gzip_vary on;", "gzip_min_length 1024;", "gzip_comp_level 6;",
		"gzip_types application/json;", "proxy_http_version 1.1;")
	h := startGateway(t, configYAML(backend, `  compression: {algorithms: [gzip], min_bytes: 1024, types: ["text/*", "application/json"]}
`))
	for _, tc := range []struct{ path, ae string }{
		{"/json", "gzip"},
		{"/json", "gzip;q=0"},
		{"/json", ""},
		{"/json", "br"},
		{"/small", "gzip"},
		{"/png", "gzip"},
		{"/json?content-encoding=br", "gzip"},
	} {
		hdr := map[string]string{"Accept-Encoding": tc.ae}
		nr, nb := doRaw(t, "GET", ng.URL()+tc.path, hdr)
		gr, gb := doRaw(t, "GET", h.url+tc.path, hdr)
		nce, gce := nr.Header.Get("Content-Encoding"), gr.Header.Get("Content-Encoding")
		if nce != gce {
			t.Errorf("%s %q: nginx Content-Encoding %q, gateway %q", tc.path, tc.ae, nce, gce)
			continue
		}
		if strings.Contains(tc.path, "content-encoding") {
			if nb != gb {
				t.Errorf("%s: an encoded answer changed", tc.path)
			}
		} else if !bytes.Equal(decodeAs(t, nce, []byte(nb)), decodeAs(t, gce, []byte(gb))) {
			t.Errorf("%s %q: decoded bodies differ", tc.path, tc.ae)
		}
		if nce == "gzip" && (nr.Header.Get("Vary") != gr.Header.Get("Vary")) {
			t.Errorf("%s %q: Vary nginx %q, gateway %q", tc.path, tc.ae, nr.Header.Get("Vary"), gr.Header.Get("Vary"))
		}
	}
	// The one difference: nginx's gzip ignores Cache-Control: no-transform,
	// which forbids a proxy to transform the content (RFC 9110 §7.7).
	path := "/json?cache-control=no-transform"
	nr, _ := doRaw(t, "GET", ng.URL()+path, map[string]string{"Accept-Encoding": "gzip"})
	gr, gb := doRaw(t, "GET", h.url+path, map[string]string{"Accept-Encoding": "gzip"})
	if nr.Header.Get("Content-Encoding") != "gzip" || gr.Header.Get("Content-Encoding") != "" || gb != string(body) {
		t.Errorf("no-transform: nginx %q, gateway %q", nr.Header.Get("Content-Encoding"), gr.Header.Get("Content-Encoding"))
	}
}

// rawClient never asks for or decodes a coding itself (net/http's
// transport adds Accept-Encoding: gzip and decodes it when a request has
// none).
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}}

// doRaw is do through rawClient.
func doRaw(t testing.TB, method, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

type httpResponse = http.Response

func newRequest(method, url string) (*http.Request, error) { return http.NewRequest(method, url, nil) }

// streamDecoder decodes r in coding enc as it is read.
func streamDecoder(t testing.TB, enc string, r io.Reader) io.Reader {
	t.Helper()
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		return zr
	case "zstd":
		zr, err := zstd.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(zr.Close)
		return zr
	case "br":
		return brotli.NewReader(r)
	}
	return r
}

// TestCompressionConcurrent: many clients at once in every coding, cached,
// encoded from memory and streamed: the pooled encoders and the kept
// encodings never mix two answers.
func TestCompressionConcurrent(t *testing.T) {
	body := jsonBody(256 << 10)
	h := startGateway(t, configYAML(compressBackend(t, body, nil), compressRules))
	encs := []string{"zstd", "br", "gzip", ""}
	paths := []string{"/json", "/cached/doc", "/stream"}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for w := 0; w < 12; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 12; i++ {
				enc, path := encs[(w+i)%len(encs)], paths[(w*7+i)%len(paths)]
				ce, got, err := fetchDecoded(h.url+path, enc)
				if err != nil || ce != enc || !bytes.Equal(got, body) {
					errs <- fmt.Sprintf("%s %q: Content-Encoding %q, %v, or the body differs", path, enc, ce, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// fetchDecoded GETs url asking for enc and returns the answer's coding and
// its body decoded; safe off the test's goroutine.
func fetchDecoded(url, enc string) (string, []byte, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Accept-Encoding", enc)
	resp, err := rawClient.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	ce := resp.Header.Get("Content-Encoding")
	var r io.Reader = resp.Body
	switch ce {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return ce, nil, err
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(r)
		if err != nil {
			return ce, nil, err
		}
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(r)
	}
	b, err := io.ReadAll(r)
	return ce, b, err
}
