package proxy

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/wait"
	"github.com/premier-gateway/premier/proxy/config"
)

// splitBackend answers its name and counts what it got; /healthz
// answers 200 while up is set, 503 otherwise.
type splitBackend struct {
	url  string
	name string
	got  atomic.Int64
	up   atomic.Bool
}

func startSplitBackend(t *testing.T, name string) *splitBackend {
	t.Helper()
	b := &splitBackend{name: name}
	b.up.Store(true)
	b.url = startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/healthz" {
			if !b.up.Load() {
				ctx.SetStatusCode(503)
			}
			return
		}
		b.got.Add(1)
		ctx.SetBodyString(b.name)
	})
	return b
}

// splitYAML is a config with one split rule on /api/* over v1 and v2.
func splitYAML(v1, v2 string, w1, w2 int, extra string) string {
	return fmt.Sprintf(`premier:
  paths:
    - pattern: "/api/*"
      features:
        split:
          - {weight: %d, servers: ["%s"]}
          - {weight: %d, servers: ["%s"]}
%s`, w1, v1, w2, v2, extra)
}

// hammer sends n GETs to url over workers connections and returns the
// answers' bodies counted.
func hammer(t *testing.T, url string, n, workers int) map[string]int {
	t.Helper()
	c := &fasthttp.Client{MaxConnsPerHost: workers}
	var mu sync.Mutex
	seen := map[string]int{}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string]int{}
			for next.Add(1) <= int64(n) {
				code, body, err := c.GetTimeout(nil, url, 10*time.Second)
				if err != nil {
					local[err.Error()]++
					continue
				}
				local[fmt.Sprintf("%d %s", code, body)]++
			}
			mu.Lock()
			for k, v := range local {
				seen[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return seen
}

// The split's promise: 10,000 requests over 90/10 weights land within ±2%
// of the weights, counted by the backends themselves, and the dashboard's
// API and /metrics count the same.
func TestSplitWeightsHold(t *testing.T) {
	v1, v2 := startSplitBackend(t, "v1"), startSplitBackend(t, "v2")
	h := startGateway(t, splitYAML(v1.url, v2.url, 90, 10, ""))
	seen := hammer(t, h.url+"/api/x", 10000, 8)
	if seen["200 v1"]+seen["200 v2"] != 10000 {
		t.Fatalf("answers: %v", seen)
	}
	n1, n2 := v1.got.Load(), v2.got.Load()
	if share := float64(n1) / 10000; share < 0.88 || share > 0.92 {
		t.Fatalf("v1 got %d, v2 %d: %.3f of the traffic, want 0.90±0.02", n1, n2, share)
	}
	snap := h.gw.DashboardSource("", 0).Snapshot()
	var found bool
	for _, r := range snap.Routes {
		if r.Route != "/api/*" {
			continue
		}
		found = true
		if len(r.Split) != 2 || r.Split[0].Requests != uint64(n1) || r.Split[1].Requests != uint64(n2) ||
			r.Split[0].Weight != 90 || r.Split[1].Servers[0] != v2.url || r.Split[0].Share < 0.88 {
			t.Fatalf("dashboard split: %+v (backends counted %d, %d)", r.Split, n1, n2)
		}
	}
	if !found {
		t.Fatal("no /api/* route in the snapshot")
	}
	var m bytes.Buffer
	h.gw.writePrometheus(&m)
	for i, n := range []int64{n1, n2} {
		line := fmt.Sprintf("premier_split_requests_total{route=\"/api/*\",group=\"%d\"} %d\n", i, n)
		if !strings.Contains(m.String(), line) {
			t.Fatalf("metrics lack %q", line)
		}
	}
}

// split_sticky: true keeps a client on one group by the cookie the
// gateway sets (HttpOnly, SameSite, Path=/, no Secure over plain HTTP);
// a forged or unknown value is no group: weighted choice and a fresh
// cookie.
func TestSplitStickyCookie(t *testing.T) {
	v1, v2 := startSplitBackend(t, "v1"), startSplitBackend(t, "v2")
	h := startGateway(t, splitYAML(v1.url, v2.url, 50, 50, "        split_sticky: true\n"))
	groups := map[string]bool{}
	for client := 0; client < 12; client++ {
		resp, body := do(t, "GET", h.url+"/api/a", nil, nil)
		cookies := resp.Header.Values("Set-Cookie")
		if resp.StatusCode != 200 || len(cookies) != 1 {
			t.Fatalf("first request: %d %v", resp.StatusCode, cookies)
		}
		sc := cookies[0]
		for _, attr := range []string{"; Path=/", "; HttpOnly", "; SameSite=Lax"} {
			if !strings.Contains(sc, attr) {
				t.Fatalf("cookie %q lacks %s", sc, attr)
			}
		}
		if strings.Contains(sc, "Secure") {
			t.Fatalf("Secure on a plain-HTTP cookie: %q", sc)
		}
		pair, _, _ := strings.Cut(sc, ";")
		groups[body] = true
		for range 20 {
			r, b := do(t, "GET", h.url+"/api/b", nil, map[string]string{"Cookie": "other=1; " + pair + "; more=2"})
			if b != body {
				t.Fatalf("client with %q moved from %s to %s", pair, body, b)
			}
			if r.Header.Get("Set-Cookie") != "" {
				t.Fatalf("a valid cookie was set again: %q", r.Header.Get("Set-Cookie"))
			}
		}
	}
	if !groups["v1"] || !groups["v2"] {
		t.Fatalf("12 new clients over 50/50 all landed on %v", groups)
	}
	name, _, _ := strings.Cut(splitCookieName("/api/*"), "=")
	for _, forged := range []string{"0", "1", "../v3", strings.Repeat("f", 16), "", "x;y"} {
		resp, body := do(t, "GET", h.url+"/api/c", nil, map[string]string{"Cookie": name + "=" + forged})
		if resp.StatusCode != 200 || (body != "v1" && body != "v2") {
			t.Fatalf("forged %q: %d %q", forged, resp.StatusCode, body)
		}
		if sc := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, name+"=") || strings.HasPrefix(sc, name+"="+forged+";") {
			t.Fatalf("forged %q: Set-Cookie %q, want a fresh valid token", forged, sc)
		}
	}
}

// split_sticky: ip keeps each client address on one group (behind a
// trusted proxy, the address it names), and spreads addresses over both.
func TestSplitStickyIP(t *testing.T) {
	v1, v2 := startSplitBackend(t, "v1"), startSplitBackend(t, "v2")
	h := startGateway(t, splitYAML(v1.url, v2.url, 50, 50, "        split_sticky: ip\n  trusted_proxies: [127.0.0.1]\n"))
	groups := map[string]int{}
	for ip := 1; ip <= 40; ip++ {
		hdr := map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", ip)}
		_, first := do(t, "GET", h.url+"/api/a", nil, hdr)
		groups[first]++
		for range 10 {
			resp, b := do(t, "GET", h.url+"/api/b", nil, hdr)
			if b != first {
				t.Fatalf("client %s moved from %s to %s", hdr["X-Forwarded-For"], first, b)
			}
			if resp.Header.Get("Set-Cookie") != "" {
				t.Fatal("ip stickiness set a cookie")
			}
		}
	}
	if groups["v1"] < 8 || groups["v2"] < 8 {
		t.Fatalf("40 addresses over 50/50: %v", groups)
	}
}

// A group whose backends are all down (health checks) hands its share to
// the other groups: clients get answers, not 503s, and the counters show
// where the requests went. With every group down the answer is 503.
func TestSplitGroupDownFailsOver(t *testing.T) {
	v1, v2 := startSplitBackend(t, "v1"), startSplitBackend(t, "v2")
	hc := "lb: {health_check: {path: /healthz, interval: 0.05, timeout: 1, healthy_threshold: 1, unhealthy_threshold: 1}}"
	h := startGateway(t, fmt.Sprintf(`premier:
  paths:
    - pattern: "/api/*"
      features:
        split:
          - {weight: 50, servers: ["%s"], %s}
          - {weight: 50, servers: ["%s"], %s}
`, v1.url, hc, v2.url, hc))
	v2.up.Store(false)
	wait.Until(t, "v2 marked down", func() bool { return !healthyURL(h.gw, v2.url) && healthyURL(h.gw, v1.url) })
	before := v2.got.Load()
	seen := hammer(t, h.url+"/api/x", 200, 4)
	if seen["200 v1"] != 200 || v2.got.Load() != before {
		t.Fatalf("with v2 down: %v (v2 got %d more)", seen, v2.got.Load()-before)
	}
	v1.up.Store(false)
	wait.Until(t, "both down", func() bool { return !healthyURL(h.gw, v1.url) })
	if resp, _ := do(t, "GET", h.url+"/api/x", nil, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("every group down: %d, want 503", resp.StatusCode)
	}
	v2.up.Store(true)
	wait.Until(t, "v2 back", func() bool { return healthyURL(h.gw, v2.url) })
	if _, body := do(t, "GET", h.url+"/api/x", nil, nil); body != "v2" {
		t.Fatalf("only v2 up: %q", body)
	}
}

// A reload changes the weights live; counters carry on, and a sticky
// client keeps its group (its token does not depend on the weights).
func TestSplitReloadChangesWeights(t *testing.T) {
	v1, v2 := startSplitBackend(t, "v1"), startSplitBackend(t, "v2")
	h := startGateway(t, splitYAML(v1.url, v2.url, 90, 10, "        split_sticky: true\n"))
	resp, group := do(t, "GET", h.url+"/api/a", nil, nil)
	pair, _, _ := strings.Cut(resp.Header.Get("Set-Cookie"), ";")
	hammer(t, h.url+"/api/x", 999, 4)
	if n := v1.got.Load(); n < 880 || n > 920 {
		t.Fatalf("90/10: v1 got %d of 1000", n)
	}
	l, err := config.Parse("r.yaml", []byte(splitYAML(v1.url, v2.url, 10, 90, "        split_sticky: true\n")))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.gw.Reload(l); err != nil {
		t.Fatal(err)
	}
	b1, b2 := v1.got.Load(), v2.got.Load()
	hammer(t, h.url+"/api/x", 1000, 4)
	if n := v2.got.Load() - b2; n < 880 || n > 920 {
		t.Fatalf("after the reload to 10/90: v2 got %d of 1000 (v1 %d)", n, v1.got.Load()-b1)
	}
	for range 10 {
		if _, b := do(t, "GET", h.url+"/api/b", nil, map[string]string{"Cookie": pair}); b != group {
			t.Fatalf("sticky client moved from %s to %s across the reload", group, b)
		}
	}
	var total uint64
	for _, sg := range h.gw.splitGroups() {
		total += sg.Requests
	}
	if total != 2010 {
		t.Fatalf("counters across the reload: %d, want 2010", total)
	}
}

// Retries stay inside the chosen group: a group whose backend fails is
// retried on the group's other backend, never on another group's.
func TestSplitRetryStaysInGroup(t *testing.T) {
	v1 := startSplitBackend(t, "v1")
	bad := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(503) })
	good := startSplitBackend(t, "v2b")
	h := startGateway(t, fmt.Sprintf(`premier:
  paths:
    - pattern: "/api/*"
      features:
        retry: {max_attempts: 2, wait: 0, budget: 1}
        split:
          - {weight: 1, servers: ["%s"]}
          - {weight: 1, servers: ["%s", "%s"]}
`, v1.url, bad, good.url))
	seen := hammer(t, h.url+"/api/x", 200, 2)
	if seen["200 v1"]+seen["200 v2b"] != 200 || seen["200 v1"] != 100 {
		t.Fatalf("answers: %v", seen)
	}
}

// healthyURL reports the health of the pool's backend for url.
func healthyURL(g *Gateway, url string) bool {
	for _, b := range g.pool.Backends() {
		if b.URL == url {
			return b.Healthy()
		}
	}
	return false
}

// Over TLS the sticky cookie is Secure (and the token is the same on
// both listeners, so a client that moves to https keeps its group).
func TestSplitStickyCookieSecureOverTLS(t *testing.T) {
	v1, v2 := startSplitBackend(t, "v1"), startSplitBackend(t, "v2")
	ca, leaf := localLeaf(t)
	h := startTLSGateway(t, ca, splitYAML(v1.url, v2.url, 50, 50, "        split_sticky: true\n"+tlsBlock(leaf, "")))
	code, hdr, group := h.get(t, true, "/api/a", nil)
	sc := hdr.Get("Set-Cookie")
	if code != 200 || !strings.HasSuffix(sc, "; Path=/; HttpOnly; SameSite=Lax; Secure") {
		t.Fatalf("https: %d Set-Cookie %q", code, sc)
	}
	pair, _, _ := strings.Cut(sc, ";")
	for _, https := range []bool{true, false} {
		if _, _, b := h.get(t, https, "/api/b", map[string]string{"Cookie": pair}); b != group {
			t.Fatalf("https=%v: moved from %s to %s", https, group, b)
		}
	}
}
