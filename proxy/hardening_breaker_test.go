package proxy

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

// One client asking for a URL that answers 500 must not open a rule's
// breaker for everyone. With failure_threshold: 5 five such requests did
// (503 for all for 60 s); with failure_rate: 0.5 and min_requests: 20 they
// are a small share of the rule's outcomes and healthy traffic flows on,
// while a real outage (every request failing) still opens the breaker.
func TestHardeningBreakerFailureRate(t *testing.T) {
	var hits atomic.Int32
	var down atomic.Bool
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		hits.Add(1)
		if down.Load() || string(ctx.Path()) == "/api/broken" {
			ctx.SetStatusCode(500)
			return
		}
		ctx.SetBodyString("ok")
	})
	rule := func(cb string) string {
		return fmt.Sprintf(`premier:
  servers: [%q]
  paths:
    - pattern: "/api/*"
      features:
        circuit_breaker: %s
`, backend, cb)
	}
	get := func(h *gwHarness, path string) int {
		resp, _ := do(t, "GET", h.url+path, nil, nil)
		return resp.StatusCode
	}

	// Before: the consecutive count opens on five requests of one client.
	h := startGateway(t, rule("{failure_threshold: 5, recovery_timeout: 60}"))
	for range 5 {
		get(h, "/api/broken")
	}
	if code := get(h, "/api/users"); code != 503 {
		t.Fatalf("failure_threshold: 5 after five 500s: healthy path got %d, want the open breaker's 503", code)
	}

	// After: the same five, at the worst moment (first, on a fresh window),
	// then more of them mixed into healthy traffic.
	h = startGateway(t, rule("{failure_rate: 0.5, min_requests: 20, recovery_timeout: 60}"))
	for range 5 {
		if code := get(h, "/api/broken"); code != 500 {
			t.Fatalf("the broken URL answered %d, want the backend's 500", code)
		}
	}
	for i := range 60 {
		path := "/api/users"
		if i%6 == 0 {
			path = "/api/broken"
		}
		code := get(h, path)
		if path == "/api/users" && code != 200 {
			t.Fatalf("healthy request %d got %d: the failing URL opened the breaker for everyone", i, code)
		}
	}

	// A real outage: every request fails. The window holds the last 100
	// outcomes: 65 so far, 15 of them failures; the 35th failure of the
	// outage makes 50 of 100 and opens the breaker.
	down.Store(true)
	before := hits.Load()
	for i := 1; ; i++ {
		code := get(h, "/api/users")
		if code == 503 {
			if got := hits.Load() - before; got != 35 {
				t.Fatalf("the breaker opened after %d failed requests of the outage, want 35", got)
			}
			break
		}
		if i > 100 {
			t.Fatal("an outage of 100 failed requests did not open the breaker")
		}
	}
	resp, _ := do(t, "GET", h.url+"/api/users", nil, nil)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("open breaker: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := hits.Load() - before; got != 35 {
		t.Fatalf("the open breaker still sent requests to the backend: %d hits", got)
	}
}
