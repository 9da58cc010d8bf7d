package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/nginxtest"
)

// TestTokenThrottlePerClientBehindNginx (issue 15 item 9): behind a real
// nginx that appends to X-Forwarded-For, the dashboard's wrong-token
// throttle counts per client as trusted_proxies resolves it, not per TCP
// peer (nginx, for everyone): 20+ wrong tokens from client A get A 429
// while client B, the login form's other users and a scraper with the
// right token still get in. IPv6 clients count per /64.
func TestTokenThrottlePerClientBehindNginx(t *testing.T) {
	be := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	const token = "right-token-0123456789"
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf(`premier:
  servers: [%q]
  trusted_proxies: ["127.0.0.1/32"]
  dashboard: {token: %q}
`, be, token))
	_, gw, _ := startBinary(t, cfg)
	ngx := nginxtest.Start(t, strings.TrimPrefix(gw, "http://"),
		"proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// call sends a request through nginx as the client xff names ("" for
	// one that sends none: nginx then forwards its own peer, 127.0.0.1).
	call := func(method, path, xff, bearer, form string) int {
		t.Helper()
		req, err := http.NewRequest(method, ngx.URL()+"/__premier"+path, strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const clientA, clientB = "203.0.113.7", "198.51.100.9"
	for i := 0; i < 20; i++ {
		if code := call("GET", "/api/config", clientA, "wrong", ""); code != 401 {
			t.Fatalf("wrong token %d from A: %d, want 401", i+1, code)
		}
	}
	if code := call("GET", "/api/config", clientA, "wrong", ""); code != 429 {
		t.Errorf("A after 20 wrong tokens: %d, want 429", code)
	}
	if code := call("GET", "/api/config", clientA, token, ""); code != 429 {
		t.Errorf("A with the right token while throttled: %d, want 429", code)
	}
	if code := call("POST", "/login", clientA, "", "token=wrong"); code != 429 {
		t.Errorf("A's login form while throttled: %d, want 429", code)
	}
	// B, another admin behind the same nginx, is not A.
	if code := call("GET", "/api/config", clientB, token, ""); code != 200 {
		t.Errorf("B with the right token: %d, want 200 (A's failures locked B out)", code)
	}
	if code := call("GET", "/api/config", clientB, "wrong", ""); code != 401 {
		t.Errorf("B's first wrong token: %d, want 401", code)
	}
	if code := call("POST", "/login", clientB, "", "token="+token); code != 303 {
		t.Errorf("B's login form: %d, want 303", code)
	}
	// A Prometheus scraper reaching nginx with no forwarding header.
	if code := call("GET", "/metrics", "", token, ""); code != 200 {
		t.Errorf("scraper with the right token: %d, want 200", code)
	}

	// IPv6: one host owns its /64, so the count is per /64.
	for i := 0; i < 20; i++ {
		call("GET", "/api/config", fmt.Sprintf("2001:db8:1:2::%x", i+1), "wrong", "")
	}
	if code := call("GET", "/api/config", "2001:db8:1:2::ffff", "wrong", ""); code != 429 {
		t.Errorf("another address of the same /64: %d, want 429", code)
	}
	if code := call("GET", "/api/config", "2001:db8:1:3::1", token, ""); code != 200 {
		t.Errorf("the next /64 with the right token: %d, want 200", code)
	}
}
