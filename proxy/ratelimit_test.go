package proxy

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/redistest"
)

// clientFrom returns an HTTP client whose connections come from source
// (127.0.0.1 or 127.0.0.2: two distinct client addresses on loopback).
func clientFrom(source string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

func getFrom(t *testing.T, c *http.Client, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func okBackend(t *testing.T, hits *atomic.Int32) string {
	return startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if hits != nil {
			hits.Add(1)
		}
		ctx.SetBodyString("ok")
	})
}

func TestRateLimitPerClientIPWithHeaders(t *testing.T) {
	h := startGateway(t, configYAML(okBackend(t, nil), `  paths:
    - pattern: /limited
      features:
        rate_limit: {quota: 3, duration: 86400, error_message: "slow \"down\""}
    - pattern: /other
      features:
        rate_limit: {quota: 3, duration: 86400}
`))
	a, b := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")
	for i := 0; i < 3; i++ {
		resp, _ := getFrom(t, a, h.url+"/limited", map[string]string{"X-Forwarded-For": fmt.Sprintf("10.0.0.%d", i)})
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
		if got := resp.Header.Get("RateLimit"); !regexp.MustCompile(fmt.Sprintf(`^"rule:/limited";r=%d;t=[0-9]{1,5}$`, 2-i)).MatchString(got) {
			t.Fatalf("RateLimit header %q", got)
		}
		if got := resp.Header.Get("RateLimit-Policy"); got != `"rule:/limited";q=3;w=86400` {
			t.Fatalf("RateLimit-Policy %q", got)
		}
	}
	// A spoofed X-Forwarded-For does not escape the limit (no trusted proxies).
	resp, body := getFrom(t, a, h.url+"/limited", map[string]string{"X-Forwarded-For": "10.9.9.9"})
	var m map[string]string
	if resp.StatusCode != 429 || json.Unmarshal([]byte(body), &m) != nil || m["error"] != `slow "down"` {
		t.Fatalf("over the limit: %d %q", resp.StatusCode, body)
	}
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" || resp.Header.Get("RateLimit") == "" {
		t.Fatalf("rejection headers: %v", resp.Header)
	}
	// Another client address has its own counter; another rule too.
	if resp, _ := getFrom(t, b, h.url+"/limited", nil); resp.StatusCode != 200 {
		t.Fatalf("127.0.0.2 limited by 127.0.0.1's counter: %d", resp.StatusCode)
	}
	if resp, _ := getFrom(t, a, h.url+"/other", nil); resp.StatusCode != 200 {
		t.Fatalf("rules share a counter: %d", resp.StatusCode)
	}
}

func TestRateLimitKeyTemplatesAndTrustedProxies(t *testing.T) {
	h := startGateway(t, configYAML(okBackend(t, nil), `  trusted_proxies: ["127.0.0.1"]
  paths:
    - pattern: /users/{id}
      features:
        rate_limit: {quota: 1, duration: 86400, key: "{id}"}
    - pattern: /global
      features:
        rate_limit: {quota: 2, duration: 86400, key: global}
    - pattern: /ip
      features:
        rate_limit: {quota: 1, duration: 86400}
`))
	a, b := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")
	if resp, _ := getFrom(t, a, h.url+"/users/1", nil); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	if resp, _ := getFrom(t, b, h.url+"/users/1", nil); resp.StatusCode != 429 {
		t.Fatalf("capture key: same user from another address: %d", resp.StatusCode)
	}
	if resp, _ := getFrom(t, a, h.url+"/users/2", nil); resp.StatusCode != 200 {
		t.Fatalf("capture key: another user: %d", resp.StatusCode)
	}
	getFrom(t, a, h.url+"/global", nil)
	getFrom(t, b, h.url+"/global", nil)
	if resp, _ := getFrom(t, a, h.url+"/global", nil); resp.StatusCode != 429 {
		t.Fatalf("global key: %d", resp.StatusCode)
	}
	// From the trusted proxy (127.0.0.1) the forwarded client counts.
	if resp, _ := getFrom(t, a, h.url+"/ip", map[string]string{"X-Forwarded-For": "203.0.113.1"}); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	if resp, _ := getFrom(t, a, h.url+"/ip", map[string]string{"X-Forwarded-For": "203.0.113.2"}); resp.StatusCode != 200 {
		t.Fatalf("forwarded clients through a trusted proxy share a counter: %d", resp.StatusCode)
	}
	// From an untrusted peer the header is ignored: the peer counts.
	getFrom(t, b, h.url+"/ip", map[string]string{"X-Forwarded-For": "203.0.113.3"})
	if resp, _ := getFrom(t, b, h.url+"/ip", map[string]string{"X-Forwarded-For": "203.0.113.4"}); resp.StatusCode != 429 {
		t.Fatalf("spoofed header from an untrusted peer escaped the limit: %d", resp.StatusCode)
	}
}

func TestLeakyBucketDelaysWithinTimeout(t *testing.T) {
	h := startGateway(t, configYAML(okBackend(t, nil), `  paths:
    - pattern: /shaped
      features:
        rate_limit: {quota: 10, duration: 1, algorithm: leaky_bucket, bucket_size: 2}
`))
	var wg sync.WaitGroup
	var ok, limited atomic.Int32
	began := time.Now()
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := getFrom(t, clientFrom("127.0.0.1"), h.url+"/shaped", nil)
			switch resp.StatusCode {
			case 200:
				ok.Add(1)
			case 429:
				limited.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 3 || limited.Load() != 3 {
		t.Fatalf("leaky bucket (1 served + 2 queued): %d ok, %d limited", ok.Load(), limited.Load())
	}
	if time.Since(began) < 150*time.Millisecond {
		t.Fatal("queued requests were not delayed (10/s leaves every 100 ms)")
	}
}

func TestRateLimitSharedThroughRedis(t *testing.T) {
	r := redistest.Start(t)
	var hits atomic.Int32
	backend := okBackend(t, &hits)
	cfg := func(failOpen bool) string {
		return fmt.Sprintf(`premier:
  keyspace: "shared-test"
  servers: [%q]
  redis: {url: %q, timeout: 2, fail_open: %v} # generous under -race
  paths:
    - pattern: /x
      features:
        rate_limit: {quota: 5, duration: 86400, key: global}
    - pattern: /y
      features:
        rate_limit: {quota: 1000, duration: 86400}
`, backend, r.URL(), failOpen)
	}
	g1, g2 := startGateway(t, cfg(true)), startGateway(t, cfg(true))
	admitted := 0
	for i := 0; i < 10; i++ {
		for _, g := range []*gwHarness{g1, g2} {
			if resp, _ := do(t, "GET", g.url+"/x", nil, nil); resp.StatusCode == 200 {
				admitted++
			}
		}
	}
	if admitted != 5 {
		t.Fatalf("two gateways sharing Redis admitted %d, want exactly 5", admitted)
	}
	// Redis dies: fail_open keeps traffic flowing; fail_open: false refuses.
	closed := startGateway(t, strings.Replace(cfg(false), "shared-test", "shared-test-2", 1))
	r.Stop()
	time.Sleep(100 * time.Millisecond)
	for i := 0; i < 3; i++ {
		if resp, _ := do(t, "GET", g1.url+"/y", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("fail_open with Redis down: %d", resp.StatusCode)
		}
		if resp, _ := do(t, "GET", closed.url+"/y", nil, nil); resp.StatusCode != 429 {
			t.Fatalf("fail_open false with Redis down: %d", resp.StatusCode)
		}
	}
}

// TestClientAddressNotCarriedOver: the client address is found once per
// request and kept in pooled scratch memory, so a request must never see
// the one before it had — not when admitted early (Expect: 100-continue
// runs the rate limit before the handler), not on the plain path: each
// client keeps its own quota whatever scratch it gets.
func TestClientAddressNotCarriedOver(t *testing.T) {
	h := startGateway(t, configYAML(okBackend(t, nil), `  trusted_proxies: ["127.0.0.1"]
  paths:
    - pattern: /limited
      features:
        rate_limit: {quota: 1, duration: 86400}
`))
	for i := 0; i < 20; i++ {
		client := fmt.Sprintf("198.51.100.%d", i+1)
		expect := i%2 == 0
		head := "POST /limited HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: " + client + "\r\nContent-Length: 5\r\nConnection: close\r\n"
		if expect {
			head += "Expect: 100-continue\r\n"
		}
		if got := rawRequest(t, h.addr, head+"\r\nhello"); !strings.Contains(got, "HTTP/1.1 200") {
			t.Fatalf("client %s's first request (Expect: %v) was refused: it was counted as another client: %q", client, expect, got)
		}
	}
}
