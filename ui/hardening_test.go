package ui

import (
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/premier-gateway/premier/internal/syncbuf"
)

// TestBearerTokenHardening: scenario 64. Without a valid bearer header the
// API answers 401; a token in the query string is never read; wrong
// tokens are logged and, past the limit, refused with 429 for that client
// only (the right token from the same client too, so guessing learns
// nothing), while other clients keep access.
func TestBearerTokenHardening(t *testing.T) {
	logs := &syncbuf.Buffer{}
	h := start(t, newMemSource("s3cret"), Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	for _, q := range []string{"?token=s3cret", "?access_token=s3cret", "?authorization=Bearer%20s3cret"} {
		if resp, _ := h.call(t, "GET", "/__premier/api/config"+q, "", nil); resp.StatusCode != 401 {
			t.Errorf("query %s: %d", q, resp.StatusCode)
		}
	}
	if resp, _ := h.post(t, "/__premier/api/config/apply", `{"text":"premier: {}"}`, hdr{"Authorization": "", "Sec-Fetch-Site": ""}); resp.StatusCode != 401 {
		t.Errorf("apply without token: %d", resp.StatusCode)
	}
	if h.src.Config().Version != 1 {
		t.Fatal("config changed without a token")
	}
	for i := 0; i < maxLoginFailuresPerMinute; i++ {
		if resp, _ := h.call(t, "GET", "/__premier/api/snapshot", "", hdr{"Authorization": "Bearer guess"}); resp.StatusCode != 401 {
			t.Fatalf("wrong token %d: %d", i, resp.StatusCode)
		}
	}
	for _, tok := range []string{"guess", "s3cret"} {
		resp, body := h.call(t, "GET", "/__premier/api/snapshot", "", hdr{"Authorization": "Bearer " + tok})
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || strings.Contains(body, "s3cret") {
			t.Errorf("after %d failures, %q: %d %s", maxLoginFailuresPerMinute, tok, resp.StatusCode, body)
		}
	}
	if n := strings.Count(logs.String(), "wrong bearer token"); n != maxLoginFailuresPerMinute {
		t.Errorf("%d failures logged, want %d", n, maxLoginFailuresPerMinute)
	}
	if strings.Contains(logs.String(), "guess") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("a token reached the log: %s", logs.String())
	}
	// Another client is not locked out.
	if r := serveAs(h.d, "203.0.113.9", "GET /__premier/api/snapshot HTTP/1.1\r\nHost: gw.example\r\nAuthorization: Bearer s3cret\r\n\r\n"); r.StatusCode() != 200 {
		t.Errorf("other client: %d", r.StatusCode())
	}
}

// TestCrossSiteWritesRefused: scenario 65 in the default (no token,
// loopback) mode. (a) a cross-origin "simple" POST with a YAML body,
// (b) DNS rebinding (foreign Host, no Origin), (c) a form POST: all are
// refused and nothing is applied; no response carries CORS grants.
func TestCrossSiteWritesRefused(t *testing.T) {
	h := start(t, newMemSource(""), Options{})
	yamlBody := "premier:\n  servers: [\"http://127.0.0.1:8\"]\n"
	jsonBody := `{"text":"premier:\n  servers: [\"http://127.0.0.1:8\"]\n"}`
	for _, c := range []struct {
		name string
		body string
		h    hdr
		want int
	}{
		{"(a) cross-origin text/plain", yamlBody, hdr{"Origin": "https://evil.example", "Content-Type": "text/plain"}, 403},
		{"(a) cross-origin JSON", jsonBody, hdr{"Origin": "https://evil.example", "Content-Type": "application/json"}, 403},
		{"(b) rebinding host", jsonBody, hdr{"Host": "evil.example:" + h.host[strings.LastIndexByte(h.host, ':')+1:], "Content-Type": "application/json"}, 403},
		{"(c) cross-origin form", "text=x", hdr{"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"}, 403},
		// Same-origin or marks-less: refused as read-only (no token).
		{"(c) same-origin form", "text=x", hdr{"Origin": h.base, "Content-Type": "application/x-www-form-urlencoded"}, 403},
		{"(c) text/plain without marks", "text=x", hdr{"Content-Type": "text/plain"}, 403},
	} {
		for _, p := range []string{"/__premier/api/config/apply", "/__premier/api/config/rollback", "/__premier/api/cache/purge"} {
			resp, body := h.call(t, "POST", p, c.body, c.h)
			if resp.StatusCode != c.want {
				t.Errorf("%s %s: %d %s, want %d", c.name, p, resp.StatusCode, body, c.want)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s: CORS grant", c.name)
			}
		}
	}
	resp, _ := h.call(t, "OPTIONS", "/__premier/api/config/apply", "", hdr{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("preflight granted: %v", resp.Header)
	}
	if h.src.Config().Version != 1 {
		t.Fatal("a cross-site request changed the config")
	}
}

// TestAssetsHaveNoHTMLSinks: scenario 66. The page builds every value
// shown (paths, hosts, rule names from traffic and config) with
// textContent: no script of ours turns data into markup or code. The
// Chromium test (TestDashboardInChromium) shows it against hostile paths.
func TestAssetsHaveNoHTMLSinks(t *testing.T) {
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|\.href\s*=|setAttribute\(\s*['"](on|href|src)`)
	for _, name := range []string{"assets/app.js", "assets/index.html", "assets/login.html"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if sinks.MatchString(line) {
				t.Errorf("%s:%d: HTML/script sink: %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
	if !strings.Contains(string(must(os.ReadFile("assets/app.js"))), "textContent") {
		t.Fatal("app.js renders no text at all?")
	}
	h := start(t, newMemSource(""), Options{})
	resp, _ := h.call(t, "GET", "/__premier/", "", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP: %q", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
