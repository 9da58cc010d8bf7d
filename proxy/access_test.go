package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// countingBackend answers "ok" and counts requests by method.
func countingBackend(t *testing.T, hits, options *atomic.Int32) string {
	return startBackend(t, func(ctx *fasthttp.RequestCtx) {
		hits.Add(1)
		if ctx.IsOptions() && options != nil {
			options.Add(1)
		}
		ctx.SetBodyString("ok")
	})
}

func wantForbidden(t *testing.T, what string, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != 403 || body != `{"error":"forbidden"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s: %d %q %q, want 403 {\"error\":\"forbidden\"}", what, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func wantStatus(t *testing.T, what string, resp *http.Response, body string, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: %d %q, want %d", what, resp.StatusCode, body, status)
	}
}

// TestIPFilterV4AllowDeny: the TCP peer (127.0.0.1, no trusted proxies)
// against allow and deny lists; deny wins, an empty allow list admits
// everyone not denied, a refused request never reaches the backend, and
// the exact rule's trailing forms are filtered too.
func TestIPFilterV4AllowDeny(t *testing.T) {
	var hits atomic.Int32
	h := startGateway(t, configYAML(countingBackend(t, &hits, nil), `  paths:
    - pattern: /allowed
      features: {ip_filter: {allow: ["127.0.0.0/8"]}}
    - pattern: /denied
      features: {ip_filter: {allow: ["127.0.0.0/8"], deny: ["127.0.0.1"]}}
    - pattern: /deny-only
      features: {ip_filter: {deny: ["127.0.0.0/24"]}}
    - pattern: /others
      features: {ip_filter: {allow: ["10.0.0.0/8", "2001:db8::/32", "::1"]}}
    - pattern: /not-denied
      features: {ip_filter: {deny: ["10.0.0.0/8", "2001:db8::/32"]}}
    - pattern: /*
`))
	for path, want := range map[string]int{"/open": 200, "/allowed": 200, "/denied": 403, "/denied/": 403, "/denied.": 403,
		"/deny-only": 403, "/others": 403, "/not-denied": 200} {
		resp, body := do(t, "GET", h.url+path, nil, nil)
		if want == 403 {
			wantForbidden(t, path, resp, body)
		} else {
			wantStatus(t, path, resp, body, want)
		}
	}
	// A WebSocket upgrade is filtered the same way.
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /denied HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 100))
	wantForbidden(t, "WebSocket upgrade", resp, string(body))
	if n := hits.Load(); n != 3 {
		t.Errorf("backend saw %d requests, want 3 (the refused ones never reach it)", n)
	}
}

// serveGatewayOn serves gw on a listener at addr (e.g. "[::1]:0").
func serveGatewayOn(t *testing.T, gw *Gateway, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = gw.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; gw.Close() })
	return "http://" + ln.Addr().String()
}

// TestIPFilterV6Peer: an IPv6 TCP peer (::1) against IPv6 and IPv4 lists.
func TestIPFilterV6Peer(t *testing.T) {
	var hits atomic.Int32
	l, err := config.Parse("v6.yaml", []byte(configYAML(countingBackend(t, &hits, nil), `  paths:
    - pattern: /v6-allowed
      features: {ip_filter: {allow: ["::1/128"]}}
    - pattern: /v6-denied
      features: {ip_filter: {allow: ["::/0"], deny: ["::1"]}}
    - pattern: /v4-only
      features: {ip_filter: {allow: ["0.0.0.0/0"]}}
    - pattern: /v6-net
      features: {ip_filter: {allow: ["2001:db8::/32"]}}
`)))
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(l, WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	url := serveGatewayOn(t, gw, "[::1]:0")
	for path, want := range map[string]int{"/v6-allowed": 200, "/v6-denied": 403, "/v4-only": 403, "/v6-net": 403} {
		resp, body := do(t, "GET", url+path, nil, nil)
		if want == 403 {
			wantForbidden(t, path, resp, body)
		} else {
			wantStatus(t, path, resp, body, want)
		}
	}
}

// TestIPFilterTrustedProxies: from a trusted peer the client is the
// right-most untrusted X-Forwarded-For entry (IPv4 or IPv6), so forged
// entries to its left gain nothing; from an untrusted peer the header is
// ignored and the peer itself is filtered.
func TestIPFilterTrustedProxies(t *testing.T) {
	var hits atomic.Int32
	backend := countingBackend(t, &hits, nil)
	rules := `  paths:
    - pattern: /office
      features: {ip_filter: {allow: ["203.0.113.0/24", "2001:db8::/32"], deny: ["203.0.113.66", "2001:db8:bad::/48"]}}
    - pattern: /no-peer
      features: {ip_filter: {deny: ["127.0.0.1"]}}
`
	trusted := startGateway(t, configYAML(backend, "  trusted_proxies: [\"127.0.0.1\"]\n"+rules))
	untrusted := startGateway(t, configYAML(backend, "  trusted_proxies: [\"10.0.0.0/8\"]\n"+rules))
	cases := []struct {
		h    *gwHarness
		path string
		xff  string
		want int
	}{
		{trusted, "/office", "203.0.113.5", 200},
		{trusted, "/office", "198.51.100.1", 403},
		{trusted, "/office", "203.0.113.66", 403},              // deny wins
		{trusted, "/office", "2001:db8::7", 200},               // IPv6 client behind an IPv4 proxy
		{trusted, "/office", "2001:db8:bad::7", 403},           // in allow and in deny
		{trusted, "/office", "2001:db9::7", 403},               //
		{trusted, "/office", "203.0.113.5, 198.51.100.1", 403}, // right-most untrusted entry decides
		{trusted, "/office", "198.51.100.1, 203.0.113.5", 200}, // the forged left entry is never read
		{trusted, "/office", "", 403},                          // no header: the peer, 127.0.0.1
		{trusted, "/no-peer", "203.0.113.5", 200},              // the peer is a proxy, not the client
		{untrusted, "/office", "203.0.113.5", 403},             // header from an untrusted peer ignored
		{untrusted, "/no-peer", "203.0.113.5", 403},            // and it cannot talk its way past deny
		{untrusted, "/no-peer", "203.0.113.5, 10.1.1.1", 403},  //
	}
	for _, c := range cases {
		hdr := map[string]string{}
		if c.xff != "" {
			hdr["X-Forwarded-For"] = c.xff
		}
		resp, body := do(t, "GET", c.h.url+c.path, nil, hdr)
		what := c.path + " XFF " + c.xff
		if c.h == untrusted {
			what = "untrusted peer " + what
		}
		if c.want == 403 {
			wantForbidden(t, what, resp, body)
		} else {
			wantStatus(t, what, resp, body, c.want)
		}
	}
}

const corsRules = `  paths:
    - pattern: /api/*
      features:
        cors:
          allow_origins: ["https://app.example.com", "https://*.example.org"]
          allow_methods: [GET, POST]
          allow_headers: [Authorization, Content-Type]
          expose_headers: [X-Request-ID, RateLimit]
          allow_credentials: true
          max_age: 600
        rate_limit: {quota: 1, duration: 3600}
    - pattern: /guarded
      features:
        ip_filter: {allow: ["10.0.0.0/8"]}
        cors: {allow_origins: ["https://app.example.com"]}
    - pattern: /dead
      servers: ["http://127.0.0.1:1"]
      features:
        cors: {allow_origins: ["https://app.example.com"]}
    - pattern: /public
      features:
        cors: {allow_origins: ["*"], allow_methods: ["*"]}
`

func preflight(origin, method string) map[string]string {
	return map[string]string{"Origin": origin, "Access-Control-Request-Method": method,
		"Access-Control-Request-Headers": "authorization, content-type"}
}

// TestCORSPreflightBeforeRateLimit: the gateway answers a rule's
// preflights with 204 before its rate limit (which would refuse them) and
// never forwards them; its own refusals (429, 403, 502) carry the CORS
// headers so the page can read them.
func TestCORSPreflightBeforeRateLimit(t *testing.T) {
	var hits, options atomic.Int32
	h := startGateway(t, configYAML(countingBackend(t, &hits, &options), corsRules))
	app := "https://app.example.com"

	resp, body := do(t, "GET", h.url+"/api/x", nil, map[string]string{"Origin": app})
	wantStatus(t, "first GET", resp, body, 200)
	wantCORS(t, "first GET", resp, app, true)
	if resp.Header.Get("Access-Control-Expose-Headers") != "X-Request-ID, RateLimit" {
		t.Errorf("expose headers %q", resp.Header.Get("Access-Control-Expose-Headers"))
	}
	resp, body = do(t, "GET", h.url+"/api/x", nil, map[string]string{"Origin": app})
	wantStatus(t, "second GET (over quota)", resp, body, 429)
	wantCORS(t, "429", resp, app, true)
	if resp.Header.Get("Access-Control-Expose-Headers") == "" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("429 headers %v", resp.Header)
	}

	for i := 0; i < 5; i++ {
		resp, body = do(t, "OPTIONS", h.url+"/api/x", nil, preflight(app, "POST"))
		if resp.StatusCode != 204 || body != "" {
			t.Fatalf("preflight %d: %d %q, want 204 before the rate limit", i, resp.StatusCode, body)
		}
	}
	wantCORS(t, "preflight", resp, app, true)
	for k, v := range map[string]string{"Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Authorization, Content-Type",
		"Access-Control-Max-Age": "600"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	if resp.Header.Get("RateLimit") != "" {
		t.Errorf("a preflight was counted by the rate limit: %v", resp.Header)
	}

	// Refused preflights: a foreign origin, a method not allowed.
	for what, hdr := range map[string]map[string]string{
		"foreign origin":     preflight("https://evil.test", "POST"),
		"method not allowed": preflight(app, "DELETE"),
		"two labels":         preflight("https://a.b.example.org", "GET"),
	} {
		resp, body = do(t, "OPTIONS", h.url+"/api/x", nil, hdr)
		wantForbidden(t, "preflight from "+what, resp, body)
		if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("refused preflight (%s) has CORS headers: %v", what, resp.Header)
		}
	}
	if n := options.Load(); n != 0 {
		t.Errorf("the backend saw %d preflights", n)
	}

	// An OPTIONS that is not a preflight (no Access-Control-Request-Method)
	// is an ordinary request: it meets the rate limit.
	resp, body = do(t, "OPTIONS", h.url+"/api/x", nil, map[string]string{"Origin": app})
	wantStatus(t, "plain OPTIONS", resp, body, 429)

	// A disallowed origin gets no CORS headers on the 429, but Vary.
	resp, _ = do(t, "GET", h.url+"/api/x", nil, map[string]string{"Origin": "https://evil.test"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(resp.Header.Get("Vary"), "Origin") {
		t.Errorf("foreign origin: %v", resp.Header)
	}

	// ip_filter's 403 (before the preflight stage) and a 502 carry them too.
	resp, body = do(t, "GET", h.url+"/guarded", nil, map[string]string{"Origin": app})
	wantForbidden(t, "ip_filter", resp, body)
	wantCORS(t, "ip_filter 403", resp, app, false)
	resp, body = do(t, "OPTIONS", h.url+"/guarded", nil, preflight(app, "GET"))
	wantForbidden(t, "preflight from a filtered address", resp, body)
	resp, body = do(t, "GET", h.url+"/dead", nil, map[string]string{"Origin": app})
	wantStatus(t, "dead backend", resp, body, 502)
	wantCORS(t, "502", resp, app, false)

	// "*": a literal "*", no Vary, any method on a preflight.
	resp, body = do(t, "OPTIONS", h.url+"/public", nil, preflight("https://anyone.test", "PATCH"))
	wantStatus(t, "public preflight", resp, body, 204)
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Vary") != "" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("public preflight headers %v", resp.Header)
	}
	resp, _ = do(t, "GET", h.url+"/public", nil, map[string]string{"Origin": "https://anyone.test"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Vary") != "" {
		t.Errorf("public GET headers %v", resp.Header)
	}
}

// wantCORS checks an answer allowed for origin: its own Origin reflected,
// Vary: Origin, credentials when the rule allows them.
func wantCORS(t *testing.T, what string, resp *http.Response, origin string, creds bool) {
	t.Helper()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
		t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", what, got, origin)
	}
	if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("%s: no Vary: Origin in %v", what, resp.Header)
	}
	if got := resp.Header.Get("Access-Control-Allow-Credentials"); (got == "true") != creds {
		t.Errorf("%s: Access-Control-Allow-Credentials %q, want %v", what, got, creds)
	}
}

// TestCORSWildcardOrigins: "https://*.example.org" admits one label in
// front of example.org, nothing else; exact origins compare without case.
func TestCORSWildcardOrigins(t *testing.T) {
	var hits atomic.Int32
	h := startGateway(t, configYAML(countingBackend(t, &hits, nil), `  paths:
    - pattern: /*
      features:
        cors: {allow_origins: ["https://app.example.com", "https://*.example.org", "http://localhost:3000"]}
`))
	for origin, want := range map[string]string{
		"https://app.example.com":           "https://app.example.com",
		"HTTPS://APP.EXAMPLE.COM":           "HTTPS://APP.EXAMPLE.COM",
		"https://shop.example.org":          "https://shop.example.org",
		"https://a.b.example.org":           "",
		"https://example.org":               "",
		"http://shop.example.org":           "",
		"https://shop.example.org:8443":     "",
		"https://app.example.com.evil.test": "",
		"https://evilexample.org":           "",
		"http://localhost:3000":             "http://localhost:3000",
		"http://localhost:3001":             "",
		"null":                              "",
	} {
		resp, body := do(t, "GET", h.url+"/x", nil, map[string]string{"Origin": origin})
		wantStatus(t, origin, resp, body, 200)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("Origin %q: Access-Control-Allow-Origin %q, want %q", origin, got, want)
		}
		if resp.Header.Get("Vary") != "Origin" {
			t.Errorf("Origin %q: Vary %q", origin, resp.Header.Get("Vary"))
		}
		resp, body = do(t, "OPTIONS", h.url+"/x", nil, preflight(origin, "GET"))
		if want == "" {
			wantForbidden(t, "preflight "+origin, resp, body)
		} else {
			wantStatus(t, "preflight "+origin, resp, body, 204)
		}
	}
}

// TestCORSCachedRuleVaryOrigin: on a cached rule the CORS headers are
// added on the way out, after the cache stored the backend's answer, so a
// hit filled for one Origin is served to another with that one's own
// Access-Control-Allow-Origin, and to a foreign or absent Origin with none;
// every answer says Vary: Origin next to the backend's own Vary, and a
// backend's own Access-Control-Allow-Origin never leaks through.
func TestCORSCachedRuleVaryOrigin(t *testing.T) {
	var hits atomic.Int32
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		hits.Add(1)
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.Response.Header.Set("Vary", "Accept-Encoding")
		ctx.Response.Header.Set("Access-Control-Allow-Origin", "https://stale.example.com")
		ctx.SetBodyString("page")
	})
	h := startGateway(t, configYAML(b, `  paths:
    - pattern: /*
      features:
        cache: {expire_s: 60}
        cors: {allow_origins: ["https://a.example.com", "https://b.example.com"], expose_headers: [X-Cache]}
`))
	resp, body := do(t, "GET", h.url+"/page", nil, map[string]string{"Origin": "https://a.example.com"})
	if resp.StatusCode != 200 || body != "page" || resp.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("miss: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	wantCORS(t, "miss", resp, "https://a.example.com", false)
	h.gw.cache.Wait()
	for origin, want := range map[string]string{"https://b.example.com": "https://b.example.com", "https://a.example.com": "https://a.example.com",
		"https://evil.test": "", "": ""} {
		hdr := map[string]string{}
		if origin != "" {
			hdr["Origin"] = origin
		}
		resp, body = do(t, "GET", h.url+"/page", nil, hdr)
		if resp.StatusCode != 200 || body != "page" || resp.Header.Get("X-Cache") != "HIT" {
			t.Fatalf("Origin %q: %d %q %v", origin, resp.StatusCode, body, resp.Header)
		}
		if got := resp.Header.Values("Access-Control-Allow-Origin"); strings.Join(got, ",") != want {
			t.Errorf("Origin %q: hit with Access-Control-Allow-Origin %q, want %q", origin, got, want)
		}
		vary := strings.Join(resp.Header.Values("Vary"), ", ")
		if !strings.Contains(vary, "Accept-Encoding") || strings.Count(vary, "Origin") != 1 {
			t.Errorf("Origin %q: Vary %q, want the backend's and Origin once", origin, vary)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("backend saw %d requests, want 1 (every other answer a hit)", n)
	}
}
