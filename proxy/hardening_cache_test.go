package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// Catalogue E (reliability.md scenarios 32-40): cache poisoning, deception,
// stampede, through the real gateway in front of a real backend.

// sendExact sends one request with the exact method, target, headers (name,
// value pairs) and body on a new connection and parses the response.
func sendExact(t *testing.T, addr, method, target, body string, hdr ...string) *fasthttp.Response {
	t.Helper()
	raw := method + " " + target + " HTTP/1.1\r\nHost: gw.test\r\n"
	for i := 0; i+1 < len(hdr); i += 2 {
		raw += hdr[i] + ": " + hdr[i+1] + "\r\n"
	}
	if body != "" {
		raw += fmt.Sprintf("Content-Length: %d\r\n", len(body))
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(raw + "Connection: close\r\n\r\n" + body)); err != nil {
		t.Fatal(err)
	}
	resp := &fasthttp.Response{}
	resp.SkipBody = method == fasthttp.MethodHead
	if err := resp.Read(bufio.NewReader(c)); err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return resp
}

func xCache(r *fasthttp.Response) string { return string(r.Header.Peek("X-Cache")) }

// countedBackend serves h and counts the requests it gets.
func countedBackend(t *testing.T, h fasthttp.RequestHandler) (string, *atomic.Int32) {
	var n atomic.Int32
	return startBackend(t, func(ctx *fasthttp.RequestCtx) { n.Add(1); h(ctx) }), &n
}

func TestCachePoisoningUnkeyedHeaders(t *testing.T) { // scenario 32
	var mu sync.Mutex
	var seen []string
	backend, _ := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		// Reflects every header a framework might read the URL, method or
		// scheme from, like a naive page template.
		var b strings.Builder
		for k, v := range ctx.Request.Header.All() {
			if strings.HasPrefix(strings.ToLower(string(k)), "x-") {
				fmt.Fprintf(&b, "%s=%s\n", k, v)
				mu.Lock()
				seen = append(seen, string(k))
				mu.Unlock()
			}
		}
		ctx.Response.Header.Set("Cache-Control", "public, max-age=60")
		ctx.SetBodyString(b.String())
	})
	h := startGateway(t, configYAML(backend, "  paths:\n    - pattern: /*\n      features:\n        cache: {}\n"))
	poison := [][2]string{
		{"X-Forwarded-Host", "evil.example"},
		{"X-Forwarded-Scheme", "gopher"},
		{"X-Forwarded-Proto", "nothttps"},
		{"X-Forwarded-Port", "1337"},
		{"X-Forwarded-Prefix", "/evil"},
		{"X-Original-URL", "/admin"},
		{"X-Rewrite-URL", "/admin"},
		{"X-Override-URL", "/admin"},
		{"X-HTTP-Method-Override", "DELETE"},
		{"X-HTTP-Method", "DELETE"},
		{"X-Method-Override", "DELETE"},
	}
	for i, p := range poison {
		page := fmt.Sprintf("/page%d", i)
		r := sendExact(t, h.addr, "GET", page, "", p[0], p[1])
		if r.StatusCode() != 200 || bytes.Contains(r.Body(), []byte(p[1])) {
			t.Errorf("%s: %d, the backend saw the client's value:\n%s", p[0], r.StatusCode(), r.Body())
		}
		h.gw.cache.Wait()
		clean := sendExact(t, h.addr, "GET", page, "")
		if xCache(clean) != "HIT" || bytes.Contains(clean.Body(), []byte(p[1])) {
			t.Errorf("%s: clean client got %s:\n%s", p[0], xCache(clean), clean.Body())
		}
		if !bytes.Contains(clean.Body(), []byte("X-Forwarded-Host=gw.test\n")) ||
			!bytes.Contains(clean.Body(), []byte("X-Forwarded-Proto=http\n")) {
			t.Errorf("%s: the gateway's own forwarding headers are missing:\n%s", p[0], clean.Body())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, k := range seen {
		for _, p := range poison {
			if strings.EqualFold(k, p[0]) && !strings.EqualFold(k, "X-Forwarded-Host") && !strings.EqualFold(k, "X-Forwarded-Proto") {
				t.Errorf("%s reached the backend", k)
			}
		}
	}
}

func TestCachePrivateResponsesNotShared(t *testing.T) { // scenario 33
	backend, hits := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		who := "anonymous"
		if c := ctx.Request.Header.Cookie("sid"); len(c) > 0 {
			who = "user " + string(c)
		} else if a := ctx.Request.Header.Peek("Authorization"); len(a) > 0 {
			who = "user " + string(a)
		}
		switch string(ctx.Path()) {
		case "/set-cookie":
			ctx.Response.Header.Set("Set-Cookie", fmt.Sprintf("sid=%d", time.Now().UnixNano()))
		case "/private":
			ctx.Response.Header.Set("Cache-Control", "private, max-age=60")
		case "/no-store":
			ctx.Response.Header.Set("Cache-Control", "no-store")
		case "/no-cache":
			ctx.Response.Header.Set("Cache-Control", "no-cache")
		case "/max-age":
			ctx.Response.Header.Set("Cache-Control", "max-age=60")
		case "/public":
			ctx.Response.Header.Set("Cache-Control", "public, max-age=60")
		}
		ctx.SetBodyString("page for " + who)
	})
	h := startGateway(t, configYAML(backend, "  paths:\n    - pattern: /*\n      features:\n        cache: {expire_s: 60}\n"))
	for _, tc := range []struct {
		path, cred, reason string // reason "": stored and shared
	}{
		{"/set-cookie", "", "set-cookie"},
		{"/private", "", "private"},
		{"/no-store", "", "no-store"},
		{"/no-cache", "", "no-cache"},
		{"/max-age", "Cookie", "cookie"},
		{"/max-age", "Authorization", "authorization"},
		{"/none", "Cookie", "cookie"},
		{"/none", "Authorization", "authorization"},
		{"/public", "Cookie", ""},
		{"/public", "Authorization", ""},
		{"/none", "", ""}, // no freshness information: the route's expire_s opts in
	} {
		path := tc.path + "?" + tc.cred // one entry per case
		var hdr []string
		switch tc.cred {
		case "Cookie":
			hdr = []string{"Cookie", "sid=A"}
		case "Authorization":
			hdr = []string{"Authorization", "Bearer A"}
		}
		before := hits.Load()
		a := sendExact(t, h.addr, "GET", path, "", hdr...)
		h.gw.cache.Wait()
		b2 := sendExact(t, h.addr, "GET", path, "")
		name := tc.path + " with " + tc.cred
		if tc.reason != "" {
			if st := string(a.Header.Peek("Cache-Status")); !strings.HasSuffix(st, "detail="+tc.reason) {
				t.Errorf("%s: Cache-Status %q, want detail=%s", name, st, tc.reason)
			}
			if xCache(b2) != "MISS" || hits.Load()-before != 2 {
				t.Errorf("%s: second client got %s after %d backend calls, want a MISS", name, xCache(b2), hits.Load()-before)
			}
			if bytes.Contains(b2.Body(), []byte("user")) || bytes.Equal(a.Header.Peek("Set-Cookie"), b2.Header.Peek("Set-Cookie")) && len(b2.Header.Peek("Set-Cookie")) > 0 {
				t.Errorf("%s: second client got A's response: %q %q", name, b2.Body(), b2.Header.Peek("Set-Cookie"))
			}
		} else if xCache(b2) != "HIT" || hits.Load()-before != 1 || !bytes.Equal(a.Body(), b2.Body()) {
			t.Errorf("%s: second client got %s after %d backend calls, want a HIT", name, xCache(b2), hits.Load()-before)
		}
	}
}

func TestCacheVary(t *testing.T) { // scenario 34
	backend, hits := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/enc":
			ctx.Response.Header.Set("Vary", "Accept-Encoding")
			ctx.SetBodyString("encoded as " + string(ctx.Request.Header.Peek("Accept-Encoding")))
		case "/star":
			ctx.Response.Header.Set("Vary", "*")
			ctx.SetBodyString("star")
		case "/cookie":
			ctx.Response.Header.Set("Vary", "Cookie")
			ctx.Response.Header.Set("Cache-Control", "public")
			ctx.SetBodyString(string(ctx.Request.Header.Peek("Cookie")) + strings.Repeat(".", 4000))
		}
	})
	h := startGateway(t, configYAML(backend, `  cache: {max_bytes: 1048576, max_entry_bytes: 65536}
  paths:
    - pattern: /*
      features:
        cache: {expire_s: 60}
`))
	encs := []string{"gzip", "br", "identity", "", "gzip, br"}
	for round := range 2 {
		for _, enc := range encs {
			var hdr []string
			if enc != "" {
				hdr = []string{"Accept-Encoding", enc}
			}
			r := sendExact(t, h.addr, "GET", "/enc", "", hdr...)
			h.gw.cache.Wait()
			if string(r.Body()) != "encoded as "+enc || (round == 1) != (xCache(r) == "HIT") {
				t.Errorf("round %d, Accept-Encoding %q: %s %q", round, enc, xCache(r), r.Body())
			}
		}
	}
	if hits.Load() != int32(len(encs)) {
		t.Errorf("backend calls %d, want one per encoding (%d)", hits.Load(), len(encs))
	}
	for range 3 {
		if r := sendExact(t, h.addr, "GET", "/star", ""); xCache(r) != "MISS" {
			t.Fatalf("Vary: * served from the cache: %s", xCache(r))
		}
		h.gw.cache.Wait()
	}
	// 2 000 distinct cookies, 4 KB each (8 MB): memory stays within max_bytes.
	for i := range 2000 {
		r := sendExact(t, h.addr, "GET", "/cookie", "", "Cookie", fmt.Sprintf("c=%d", i))
		if !bytes.HasPrefix(r.Body(), []byte(fmt.Sprintf("c=%d.", i))) {
			t.Fatalf("cookie %d got %q", i, r.Body()[:20])
		}
	}
	h.gw.cache.Wait()
	if st := h.gw.cache.Stats(); st.Bytes > 1<<20 || st.Stores < 2000 {
		t.Fatalf("variant explosion: %d bytes in use (max 1 MiB), %d stored", st.Bytes, st.Stores)
	}
}

func TestCacheErrorsNotStored(t *testing.T) { // scenario 35 (CPDoS)
	backend, _ := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		switch {
		case len(ctx.Request.Header.Peek("X-Big")) > 8<<10: // HHO: B's limit is below the gateway's
			ctx.SetStatusCode(400)
		case len(ctx.Request.Header.Peek("X-Meta")) > 0: // HMC
			ctx.SetStatusCode(400)
		case len(ctx.Request.Header.Peek("X-HTTP-Method-Override")) > 0: // HMO
			ctx.SetStatusCode(405)
		case len(ctx.Request.Header.Peek("X-Fail")) > 0:
			ctx.SetStatusCode(503)
		default:
			ctx.SetBodyString("app.js")
			return
		}
		ctx.Response.Header.Set("Cache-Control", "max-age=600")
		ctx.SetBodyString("error")
	})
	h := startGateway(t, configYAML(backend, "  paths:\n    - pattern: /*\n      features:\n        cache: {expire_s: 60}\n"))
	attacks := [][]string{
		{"X-Big", strings.Repeat("a", 10<<10)},
		{"X-Big", strings.Repeat("a", 20<<10)}, // over the gateway's 16 KiB: 431 at the gateway
		{"X-Meta", "\x07"},
		{"X-HTTP-Method-Override", "DELETE"},
		{"X-Fail", "1"},
	}
	for i, a := range attacks {
		path := fmt.Sprintf("/app%d.js", i)
		raw := "GET " + path + " HTTP/1.1\r\nHost: gw.test\r\n" + a[0] + ": " + a[1] + "\r\nConnection: close\r\n\r\n"
		out := rawRequest(t, h.addr, raw)
		h.gw.cache.Wait()
		r := sendExact(t, h.addr, "GET", path, "")
		if r.StatusCode() != 200 || string(r.Body()) != "app.js" {
			t.Errorf("%s: after %.12q the clean request got %d %q", a[0], out, r.StatusCode(), r.Body())
		}
	}
}

func TestCacheDeception(t *testing.T) { // scenario 36
	backend, _ := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		// B ignores the suffix: any /account/settings... is the settings page.
		if c := ctx.Request.Header.Cookie("sid"); strings.HasPrefix(string(ctx.Path()), "/account/settings") && len(c) > 0 {
			if ctx.QueryArgs().Has("private") {
				ctx.Response.Header.Set("Cache-Control", "private")
			}
			ctx.SetBodyString("settings of " + string(c))
			return
		}
		ctx.SetBodyString("anonymous")
	})
	h := startGateway(t, configYAML(backend, "  paths:\n    - pattern: \"/*.css\"\n      features:\n        cache: {expire_s: 600}\n"))
	for _, target := range []string{"/account/settings/x.css", "/account/settings/x.css?private"} {
		if r := sendExact(t, h.addr, "GET", target, "", "Cookie", "sid=A"); string(r.Body()) != "settings of A" || xCache(r) != "MISS" {
			t.Fatalf("%s logged in: %s %q", target, xCache(r), r.Body())
		}
		h.gw.cache.Wait()
		if r := sendExact(t, h.addr, "GET", target, ""); string(r.Body()) != "anonymous" {
			t.Errorf("%s: an anonymous client got %s %q", target, xCache(r), r.Body())
		}
	}
	for _, target := range []string{"/account/settings;x.css", "/account/settings%2fx.css", "/account/settings/..%2fstatic/x.css", "/account/settings%3Fx.css#.css"} {
		if code, body := rawGet(t, h.addr, target, "Cookie", "sid=A"); code != 400 {
			t.Errorf("%s: %d %q, want 400", target, code, body)
		}
	}
}

func TestCacheKeyRules(t *testing.T) { // scenario 37
	backend, hits := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		if r := ctx.Request.Header.Peek("Range"); len(r) > 0 {
			ctx.Response.Header.Set("Content-Range", "bytes 0-0/10")
			ctx.SetStatusCode(206)
			ctx.SetBodyString("0")
			return
		}
		var body []byte
		if bs := ctx.RequestBodyStream(); bs != nil {
			body, _ = io.ReadAll(bs)
		} else {
			body = ctx.Request.Body()
		}
		ctx.SetBodyString(fmt.Sprintf("%s %s body=%q", ctx.Method(), ctx.RequestURI(), body))
	})
	h := startGateway(t, configYAML(backend, "  paths:\n    - pattern: /*\n      features:\n        cache: {expire_s: 60}\n"))
	get := func(method, target, body string, hdr ...string) *fasthttp.Response {
		r := sendExact(t, h.addr, method, target, body, hdr...)
		h.gw.cache.Wait()
		return r
	}
	// The query is sorted; nothing is stripped unless a cache_key template
	// leaves it out; the path is case-sensitive.
	get("GET", "/q?a=1&b=2", "")
	for target, want := range map[string]string{"/q?b=2&a=1": "HIT", "/q?a=1&b=2&utm_source=x": "MISS", "/Q?a=1&b=2": "MISS"} {
		if r := get("GET", target, ""); xCache(r) != want {
			t.Errorf("%s: %s, want %s", target, xCache(r), want)
		}
	}
	// A HEAD never fills the GET entry.
	if r := get("HEAD", "/h", ""); xCache(r) != "MISS" {
		t.Fatalf("HEAD: %s", xCache(r))
	}
	if r := get("GET", "/h", ""); xCache(r) != "MISS" || string(r.Body()) != `GET /h body=""` {
		t.Fatalf("GET after HEAD: %s %q", xCache(r), r.Body())
	}
	// A 206 is never stored nor served as the whole.
	if r := get("GET", "/file", "", "Range", "bytes=0-0"); r.StatusCode() != 206 {
		t.Fatalf("range: %d", r.StatusCode())
	}
	if r := get("GET", "/file", ""); r.StatusCode() != 200 || xCache(r) != "MISS" || string(r.Body()) != `GET /file body=""` {
		t.Fatalf("GET after a 206: %d %s %q", r.StatusCode(), xCache(r), r.Body())
	}
	// A GET with a body is not stored: the key does not cover it.
	before := hits.Load()
	if r := get("GET", "/fat", "0123456789"); string(r.Body()) != `GET /fat body="0123456789"` ||
		!strings.HasSuffix(string(r.Header.Peek("Cache-Status")), "detail=request-body") {
		t.Fatalf("fat GET: %q %q", r.Body(), r.Header.Peek("Cache-Status"))
	}
	if r := get("GET", "/fat", ""); xCache(r) != "MISS" || string(r.Body()) != `GET /fat body=""` || hits.Load()-before != 2 {
		t.Fatalf("GET after a fat GET: %s %q", xCache(r), r.Body())
	}
}

func TestCacheStampedeOnExpiry(t *testing.T) { // scenario 38
	var version atomic.Int32
	backend, hits := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		time.Sleep(300 * time.Millisecond)
		v := version.Add(1)
		maxAge := 600 // the refill outlives any straggler of the herd
		if v == 1 {
			maxAge = 1
		}
		ctx.Response.Header.Set("Cache-Control", fmt.Sprint("max-age=", maxAge))
		ctx.SetBodyString(fmt.Sprint("v", v))
	})
	h := startGateway(t, configYAML(backend, "  paths:\n    - pattern: /*\n      features:\n        cache: {}\n"))
	if r := sendExact(t, h.addr, "GET", "/hot", ""); string(r.Body()) != "v1" {
		t.Fatalf("fill: %q", r.Body())
	}
	h.gw.cache.Wait()
	time.Sleep(1100 * time.Millisecond) // the entry expires
	const n = 100
	var wg sync.WaitGroup
	bodies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := httpClient.Get(h.url + "/hot")
			if err != nil {
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			bodies[i] = string(b)
		}()
	}
	wg.Wait()
	for i, b := range bodies {
		if b != "v2" {
			t.Fatalf("request %d got %q, want the one refill v2", i, b)
		}
	}
	if hits.Load() != 2 {
		t.Fatalf("backend calls %d for %d concurrent misses after expiry, want 1 (+1 fill)", hits.Load()-1, n)
	}
}

func TestCacheOversizedObjects(t *testing.T) { // scenario 39
	big := bytes.Repeat([]byte("0123456789abcdef"), 8<<10) // 128 KiB
	backend, hits := countedBackend(t, func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/big":
			ctx.SetBody(big)
		case "/chunked":
			ctx.SetBodyStream(bytes.NewReader(big), -1)
		default:
			ctx.SetBody(big[:10<<10])
		}
	})
	h := startGateway(t, configYAML(backend, `  cache: {max_bytes: 262144, max_entry_bytes: 65536}
  paths:
    - pattern: /*
      features:
        cache: {expire_s: 60}
`))
	for _, path := range []string{"/big", "/chunked"} {
		for range 2 {
			r := sendExact(t, h.addr, "GET", path, "")
			h.gw.cache.Wait()
			if !bytes.Equal(r.Body(), big) || xCache(r) != "MISS" {
				t.Fatalf("%s: %s, %d bytes", path, xCache(r), len(r.Body()))
			}
		}
	}
	if hits.Load() != 4 {
		t.Fatalf("objects over max_entry_bytes were cached: %d backend calls, want 4", hits.Load())
	}
	// 200 distinct 10 KiB objects (2 MB) through a 256 KiB cache.
	for i := range 200 {
		if r := sendExact(t, h.addr, "GET", fmt.Sprintf("/small/%d", i), ""); len(r.Body()) != 10<<10 {
			t.Fatalf("small %d: %d bytes", i, len(r.Body()))
		}
	}
	h.gw.cache.Wait()
	if st := h.gw.cache.Stats(); st.Bytes > 256<<10 || st.Stores < 200 {
		t.Fatalf("cache memory %d bytes (max 256 KiB) after %d stores", st.Bytes, st.Stores)
	}
}

// truncatingBackend answers every request with a 200 that promises
// declared bytes, sends half of them and resets the connection.
func truncatingBackend(t *testing.T, declared int) (string, *atomic.Int32) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				var req fasthttp.Request
				if req.Read(br) != nil {
					return
				}
				n.Add(1)
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nCache-Control: max-age=600\r\n\r\n", declared)
				_, _ = c.Write(bytes.Repeat([]byte("x"), declared/2))
				_ = c.(*net.TCPConn).SetLinger(0) // RST
			}()
		}
	}()
	return "http://" + ln.Addr().String(), &n
}

func TestCacheTruncatedNotStored(t *testing.T) { // scenario 40
	// 50 000 of 100 000 bytes: under the cache's max_entry_bytes the body is
	// read whole (so the client gets a 502); over it, it streams (so the
	// client's connection is cut short). Neither is stored.
	for _, maxEntry := range []int{1 << 20, 64 << 10} {
		t.Run(fmt.Sprint(maxEntry), func(t *testing.T) {
			backend, hits := truncatingBackend(t, 100000)
			h := startGateway(t, configYAML(backend, fmt.Sprintf(`  cache: {max_entry_bytes: %d}
  paths:
    - pattern: /*
      features:
        cache: {expire_s: 60}
`, maxEntry)))
			for i := range 3 {
				raw := "GET /page HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n"
				out := rawRequest(t, h.addr, raw)
				h.gw.cache.Wait()
				if strings.Contains(out, "X-Cache: HIT") || len(out) >= 100000 {
					t.Fatalf("request %d got a whole or cached answer: %.80q (%d bytes)", i, out, len(out))
				}
				if maxEntry > 100000 && !strings.HasPrefix(out, "HTTP/1.1 502") {
					t.Fatalf("request %d: %.80q, want 502", i, out)
				}
				if int(hits.Load()) != i+1 {
					t.Fatalf("request %d: the backend saw %d requests: the truncated response was cached", i, hits.Load())
				}
			}
			if st := h.gw.cache.Stats(); st.Stores != 0 {
				t.Fatalf("stores %d", st.Stores)
			}
		})
	}
}
