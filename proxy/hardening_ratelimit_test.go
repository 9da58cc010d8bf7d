package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/premier-gateway/premier/internal/redistest"
)

// Catalogue F (reliability.md scenarios 41-45): rate-limiter evasion and
// failure, through the real gateway.

// getStatus sends a GET with headers through the shared keep-alive client
// and returns the status and the Retry-After header.
func getStatus(t *testing.T, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func TestRateLimitXFFRotation(t *testing.T) { // scenario 41
	var hits atomic.Int32
	h := startGateway(t, configYAML(okBackend(t, &hits), `  paths:
    - pattern: /limited
      features:
        rate_limit: {quota: 50, duration: 86400}
    - pattern: /cached
      features:
        rate_limit: {quota: 5, duration: 86400}
        cache: {expire_s: 60}
`))
	ok, limited := 0, 0
	for i := range 200 {
		code, retry := getStatus(t, h.url+"/limited", map[string]string{
			"X-Forwarded-For": fmt.Sprintf("198.51.%d.%d", i/250, i%250+1),
			"X-Real-IP":       fmt.Sprintf("203.0.113.%d", i%250+1),
			"Forwarded":       fmt.Sprintf("for=192.0.2.%d", i%250+1),
		})
		switch {
		case code == 200:
			ok++
		case code == 429 && retry != "" && retry != "0":
			limited++
		default:
			t.Fatalf("request %d: %d Retry-After %q", i, code, retry)
		}
	}
	if ok != 50 || limited != 150 || hits.Load() != 50 {
		t.Fatalf("rotating forwarding headers: %d ok, %d limited, %d reached the backend; want 50, 150, 50", ok, limited, hits.Load())
	}
	// On a cached rule hits count too, and a 429 is never stored: another
	// client still gets the cached 200.
	for i := range 8 {
		code, _ := getStatus(t, h.url+"/cached", map[string]string{"X-Forwarded-For": fmt.Sprint("10.0.0.", i)})
		if want := 200; i >= 5 && code != 429 || i < 5 && code != want {
			t.Fatalf("cached rule, request %d: %d", i, code)
		}
	}
	h.gw.cache.Wait()
	resp, body := getFrom(t, clientFrom("127.0.0.2"), h.url+"/cached", nil)
	if resp.StatusCode != 200 || body != "ok" || resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("another client: %d %q %s", resp.StatusCode, body, resp.Header.Get("X-Cache"))
	}
}

func TestRateLimitIPv6Prefix(t *testing.T) { // scenario 42
	// The client address comes from X-Forwarded-For behind a trusted proxy:
	// the same key derivation as a direct IPv6 peer.
	h := startGateway(t, configYAML(okBackend(t, nil), `  trusted_proxies: ["127.0.0.1"]
  paths:
    - pattern: /v6
      features:
        rate_limit: {quota: 3, duration: 86400}
`))
	from := func(addr string) int {
		code, _ := getStatus(t, h.url+"/v6", map[string]string{"X-Forwarded-For": addr})
		return code
	}
	admitted := 0
	for i := 1; i <= 1000; i++ { // 2001:db8:1:2::1 ... ::3e8: one /64
		if from(fmt.Sprintf("2001:db8:1:2::%x", i)) == 200 {
			admitted++
		}
	}
	if admitted != 3 {
		t.Fatalf("1000 addresses of one /64 admitted %d, want 3 (one bucket)", admitted)
	}
	if from("2001:db8:1:3::1") != 200 {
		t.Fatal("another /64 shares the bucket")
	}
	// An IPv4-mapped address is keyed as the IPv4 address.
	for i, addr := range []string{"::ffff:203.0.113.7", "203.0.113.7", "::ffff:cb00:7107", "203.0.113.7"} {
		want := 200
		if i == 3 {
			want = 429
		}
		if code := from(addr); code != want {
			t.Fatalf("%s: %d, want %d", addr, code, want)
		}
	}
}

func TestRateLimitKeyExplosion(t *testing.T) { // scenario 43
	h := startGateway(t, configYAML(okBackend(t, nil), `  limits: {max_limiter_keys: 256}
  paths:
    - pattern: /keyed
      features:
        rate_limit: {quota: 1, duration: 86400, key: "{header.X-Api-Key}"}
`))
	key := func(i int) map[string]string { return map[string]string{"X-Api-Key": fmt.Sprint("key-", i)} }
	for i := range 256 {
		if code, _ := getStatus(t, h.url+"/keyed", key(i)); code != 200 {
			t.Fatalf("fresh key %d: %d", i, code)
		}
	}
	// A flood of new keys past the cap shares one overflow counter; the
	// tracked keys are not evicted (an attacker cannot reset them).
	admitted := 0
	for i := 256; i < 2256; i++ {
		if code, _ := getStatus(t, h.url+"/keyed", key(i)); code == 200 {
			admitted++
		}
	}
	if admitted != 1 {
		t.Fatalf("2000 new keys past the cap admitted %d, want 1 (the shared overflow counter)", admitted)
	}
	for i := range 256 {
		if code, _ := getStatus(t, h.url+"/keyed", key(i)); code != 429 {
			t.Fatalf("tracked key %d was reset by the flood: %d", i, code)
		}
	}
}

// redisKeysWithoutTTL scans every key and returns those without an expiry.
func redisKeysWithoutTTL(t *testing.T, c rueidis.Client) (all int, missing []string) {
	t.Helper()
	ctx := context.Background()
	var cursor uint64
	for {
		se, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range se.Elements {
			all++
			if ttl, err := c.Do(ctx, c.B().Pttl().Key(k).Build()).AsInt64(); err != nil || ttl < 0 {
				missing = append(missing, k)
			}
		}
		if cursor = se.Cursor; cursor == 0 {
			return all, missing
		}
	}
}

func TestRateLimitRedisBlackholed(t *testing.T) { // scenario 44
	r := redistest.Start(t)
	var hits atomic.Int32
	backend := okBackend(t, &hits)
	cfg := func(ks string, failOpen bool) string {
		return fmt.Sprintf(`premier:
  keyspace: %q
  servers: [%q]
  redis: {url: %q, timeout: 0.05, fail_open: %v}
  paths:
    - pattern: /x
      features:
        rate_limit: {quota: 3, duration: 86400, key: global}
`, ks, backend, r.URL(), failOpen)
	}
	open, closed := startGateway(t, cfg("open", true)), startGateway(t, cfg("closed", false))
	for _, g := range []*gwHarness{open, closed} {
		getStatus(t, g.url+"/x", nil) // connects to Redis; 2 of 3 left
	}
	// SIGSTOP: the TCP connection stays up and nothing answers. Every
	// decision gives up after the 50 ms timeout (go-redis-like 5 s defaults
	// would hold each request for seconds); fail_open admits, fail_open:
	// false refuses with Retry-After.
	r.Pause()
	for i := range 5 {
		began := time.Now()
		code, _ := getStatus(t, open.url+"/x", nil)
		code2, retry := getStatus(t, closed.url+"/x", nil)
		if took := time.Since(began); took > 4*time.Second {
			t.Fatalf("request %d: %v for two decisions with Redis black-holed", i, took)
		}
		if code != 200 || code2 != 429 || retry == "" {
			t.Fatalf("black-holed Redis, request %d: fail_open %d, fail_open false %d (Retry-After %q)", i, code, code2, retry)
		}
	}
	// Recovery: decisions come from Redis again (the open gateway's global
	// bucket has 2 tokens left there).
	r.Resume()
	limited := false
	for deadline := time.Now().Add(20 * time.Second); !limited && time.Now().Before(deadline); {
		code, _ := getStatus(t, open.url+"/x", nil)
		limited = code == 429
		time.Sleep(10 * time.Millisecond)
	}
	if !limited {
		t.Fatal("the fail-open gateway never limited again after Redis came back")
	}
	if _, missing := redisKeysWithoutTTL(t, r.Client()); len(missing) > 0 {
		t.Fatalf("keys without a TTL: %q", missing)
	}
}

func TestRateLimitDistributedAtomic(t *testing.T) { // scenario 45
	r := redistest.Start(t)
	var hits atomic.Int32
	backend := okBackend(t, &hits)
	cfg := fmt.Sprintf(`premier:
  keyspace: atomic
  servers: [%q]
  redis: {url: %q, timeout: 2} # generous under -race
  paths:
    - pattern: /global
      features:
        rate_limit: {quota: 100, duration: 86400, key: global}
    - pattern: /per-key
      features:
        rate_limit: {quota: 2, duration: 86400, key: "{header.X-Api-Key}"}
`, backend, r.URL())
	gws := []*gwHarness{startGateway(t, cfg), startGateway(t, cfg)}
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := range 25 { // 400 requests, half through each instance
				if code, _ := getStatus(t, gws[(w+i)%2].url+"/global", nil); code == 200 {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if admitted.Load() != 100 || hits.Load() != 100 {
		t.Fatalf("two instances admitted %d (backend saw %d) of 400, want exactly 100", admitted.Load(), hits.Load())
	}
	// Many keys through both instances: every counter Redis holds has a TTL
	// (one Lua script sets value and expiry together: no key is ever left
	// to lock a client out for good).
	for i := range 300 {
		getStatus(t, gws[i%2].url+"/per-key", map[string]string{"X-Api-Key": fmt.Sprint("k", i%150)})
	}
	all, missing := redisKeysWithoutTTL(t, r.Client())
	if all < 150 || len(missing) > 0 {
		t.Fatalf("%d keys, without a TTL: %q", all, missing)
	}
}
