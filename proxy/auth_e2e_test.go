package proxy

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/crypto/bcrypt"

	"github.com/premier-gateway/premier/internal/promcheck"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/ui/source"
)

func keyHash(k string) string {
	h := sha256.Sum256([]byte(k))
	return hex.EncodeToString(h[:])
}

// seenRequest is what the auth tests' backend saw of the last request.
type seenRequest struct {
	uri, consumer atomic.Value
	n             atomic.Int64
}

// authBackend echoes the consumer header it got and records the target.
func authBackend(t *testing.T) (string, *seenRequest) {
	seen := &seenRequest{}
	url := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		seen.n.Add(1)
		seen.uri.Store(string(ctx.Request.Header.RequestURI()))
		seen.consumer.Store(strings.Join(headerValues(&ctx.Request.Header, HeaderConsumer), ","))
		ctx.SetBodyString("hello " + string(ctx.Request.Header.Peek(HeaderConsumer)) + " n=" + fmt.Sprint(seen.n.Load()))
	})
	return url, seen
}

func headerValues(h *fasthttp.RequestHeader, name string) []string {
	var out []string
	for k, v := range h.All() {
		if strings.EqualFold(string(k), name) {
			out = append(out, string(v))
		}
	}
	return out
}

func TestAuthAPIKeyHeaderAndQuery(t *testing.T) {
	backend, seen := authBackend(t)
	h := startGateway(t, configYAML(backend, fmt.Sprintf(`  paths:
    - pattern: /api/*
      features:
        auth:
          api_keys: {query: api_key, keys: [{name: mobile, sha256: %q}]}
        monitoring: {log_threshold: 0.000000001}
    - pattern: /open/*
`, keyHash("k-mobile-1"))))

	resp, body := do(t, "GET", h.url+"/api/a?x=1", nil, map[string]string{"X-API-Key": "k-mobile-1", HeaderConsumer: "admin"})
	if resp.StatusCode != 200 || body != "hello mobile n=1" {
		t.Fatalf("key in header: %d %q", resp.StatusCode, body)
	}
	if c := seen.consumer.Load(); c != "mobile" {
		t.Fatalf("backend got X-Consumer %q, want only the gateway's %q", c, "mobile")
	}

	secret := "k-mobile-1"
	resp, body = do(t, "GET", h.url+"/api/b?a=1&api_key="+secret+"&b=%20x&Api_Key=2&api%5Fkey=3", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("key in query: %d %q", resp.StatusCode, body)
	}
	if u := seen.uri.Load(); u != "/api/b?a=1&b=%20x&Api_Key=2" {
		t.Fatalf("backend got %q: every api_key parameter must be gone, the others untouched", u)
	}
	if _, _ = do(t, "GET", h.url+"/api/c?api_key="+secret, nil, nil); seen.uri.Load() != "/api/c" {
		t.Fatalf("backend got %q, want the bare path", seen.uri.Load())
	}

	for name, hdr := range map[string]map[string]string{
		"missing":      nil,
		"wrong header": {"X-API-Key": "k-mobile-2"},
		"empty header": {"X-API-Key": ""},
	} {
		resp, body := do(t, "GET", h.url+"/api/x?api_key=nope", nil, hdr)
		if resp.StatusCode != 401 || body != `{"error":"unauthorized"}` || resp.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s: %d %q %q", name, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
		}
	}
	// A good key in the query does not save a wrong one in the header:
	// the header decides.
	if resp, _ := do(t, "GET", h.url+"/api/x?api_key="+secret, nil, map[string]string{"X-API-Key": "bad"}); resp.StatusCode != 401 {
		t.Errorf("wrong header, good query: %d", resp.StatusCode)
	}

	// A rule without auth never passes on a client's X-Consumer.
	if resp, _ := do(t, "GET", h.url+"/open/x", nil, map[string]string{HeaderConsumer: "admin"}); resp.StatusCode != 200 || seen.consumer.Load() != "" {
		t.Fatalf("open rule: %d, backend got X-Consumer %q", resp.StatusCode, seen.consumer.Load())
	}

	// The key never reaches the slow-request log or the dashboard's recent requests.
	if strings.Contains(h.logs.String(), secret) || !strings.Contains(h.logs.String(), "slow request") {
		t.Fatalf("logs hold the key (or no slow log line at all):\n%s", h.logs.String())
	}
	recent, _ := h.gw.metrics.Recent(source.RecentFilter{Limit: 100})
	seenAs := map[string]bool{}
	for _, r := range recent {
		if strings.Contains(r.Path, secret) || strings.Contains(r.LimitKey, secret) {
			t.Fatalf("recent request holds the key: %+v", r)
		}
		seenAs[r.Consumer+"/"+r.Auth] = true
	}
	if !seenAs["mobile/"] || !seenAs["/unauthorized"] {
		t.Fatalf("recent requests lack the consumer or the refusal: %v", seenAs)
	}
}

// TestAuthKeysFileReload: keys_file is reread on a reload (SIGHUP's path)
// and when the watcher sees the file change; a bad file keeps the old
// config serving with an error naming the file.
func TestAuthKeysFileReload(t *testing.T) {
	backend, _ := authBackend(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	write := func(s string) {
		if err := os.WriteFile(keys, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("# consumers\nalpha:" + keyHash("key-a") + "\n")
	cfg := filepath.Join(dir, "gw.yaml")
	if err := os.WriteFile(cfg, []byte(configYAML(backend, `  paths:
    - pattern: /api/*
      features:
        auth: {api_keys: {keys_file: `+keys+`}}
`)), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := config.LoadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(l, WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	url := serveGateway(t, gw)
	status := func(key string) int {
		resp, _ := do(t, "GET", url+"/api/x", nil, map[string]string{"X-API-Key": key})
		return resp.StatusCode
	}
	if status("key-a") != 200 || status("key-b") != 401 {
		t.Fatal("initial keys not applied")
	}

	write("beta:" + keyHash("key-b") + "\n")
	if err := gw.ReloadFile(cfg); err != nil {
		t.Fatal(err)
	}
	if status("key-a") != 401 || status("key-b") != 200 {
		t.Fatal("reload did not reread keys_file")
	}

	write("beta:not-a-hash\n")
	err = gw.ReloadFile(cfg)
	if err == nil || !strings.Contains(err.Error(), "keys_file") || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad keys file: %v", err)
	}
	if status("key-b") != 200 {
		t.Fatal("a bad keys file must keep the old config serving")
	}

	w := gw.Watch(cfg, 10*time.Millisecond)
	defer w.Stop()
	write("gamma:" + keyHash("key-c") + "\n")
	deadline := time.Now().Add(10 * time.Second)
	for status("key-c") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("the watcher did not reload on a keys_file change")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status("key-b") != 401 {
		t.Fatal("old key still accepted after the watched reload")
	}
}

// writeHtpasswd writes an htpasswd file of bcrypt (MinCost) entries.
func writeHtpasswd(t *testing.T, users ...string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i+1 < len(users); i += 2 {
		h, err := bcrypt.GenerateFromPassword([]byte(users[i+1]), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(users[i] + ":" + string(h) + "\n")
	}
	p := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func basicHeader(user, pass string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
}

func TestAuthBasic(t *testing.T) {
	backend, seen := authBackend(t)
	users := writeHtpasswd(t, "alice", "wonder land", "bob", "builder")
	h := startGateway(t, configYAML(backend, `  paths:
    - pattern: /api/*
      features:
        auth: {basic: {realm: staff, users_file: `+users+`}}
`))
	basic := h.gw.cur.Load().rules[0].auth.a.Basic

	resp, body := do(t, "GET", h.url+"/api/x", nil, basicHeader("alice", "wonder land"))
	if resp.StatusCode != 200 || seen.consumer.Load() != "alice" {
		t.Fatalf("alice: %d %q consumer %q", resp.StatusCode, body, seen.consumer.Load())
	}
	runs := basic.Verifications()
	for range 5 {
		if resp, _ := do(t, "GET", h.url+"/api/x", nil, basicHeader("alice", "wonder land")); resp.StatusCode != 200 {
			t.Fatalf("cached alice: %d", resp.StatusCode)
		}
	}
	if got := basic.Verifications(); got != runs {
		t.Fatalf("verified credentials ran bcrypt again: %d runs, want %d", got, runs)
	}
	for name, hdr := range map[string]map[string]string{
		"missing":       nil,
		"wrong":         basicHeader("alice", "wonderland"),
		"unknown":       basicHeader("carol", "x"),
		"not base64":    {"Authorization": "Basic !!!"},
		"no colon":      {"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("alice"))},
		"other scheme":  {"Authorization": "Bearer abc"},
		"case of other": basicHeader("Alice", "wonder land"),
	} {
		resp, body := do(t, "GET", h.url+"/api/x", nil, hdr)
		if resp.StatusCode != 401 || body != `{"error":"unauthorized"}` || resp.Header.Get("WWW-Authenticate") != `Basic realm="staff", charset="UTF-8"` {
			t.Errorf("%s: %d %q %q", name, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if resp, _ := do(t, "GET", h.url+"/api/x", nil, basicHeader("bob", "builder")); resp.StatusCode != 200 || seen.consumer.Load() != "bob" {
		t.Fatalf("bob: %d", resp.StatusCode)
	}
}

// TestAuthBasicThrottle: after failLimit failures from one address the
// next attempts get 429 with Retry-After and run no bcrypt, right
// credentials included unless already verified.
func TestAuthBasicThrottle(t *testing.T) {
	backend, _ := authBackend(t)
	users := writeHtpasswd(t, "alice", "secret", "bob", "builder")
	h := startGateway(t, configYAML(backend, `  paths:
    - pattern: /api/*
      features:
        auth: {basic: {users_file: `+users+`}}
`))
	basic := h.gw.cur.Load().rules[0].auth.a.Basic
	if resp, _ := do(t, "GET", h.url+"/api/x", nil, basicHeader("alice", "secret")); resp.StatusCode != 200 {
		t.Fatal("alice before the flood")
	}
	before := basic.Verifications()
	for i := range 10 {
		if resp, _ := do(t, "GET", h.url+"/api/x", nil, basicHeader("bob", fmt.Sprint("guess", i))); resp.StatusCode != 401 {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	for range 20 {
		resp, body := do(t, "GET", h.url+"/api/x", nil, basicHeader("bob", "guess again"))
		if resp.StatusCode != 429 || body != `{"error":"too many failed authentication attempts"}` || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("throttled: %d %q Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := do(t, "GET", h.url+"/api/x", nil, basicHeader("bob", "builder")); resp.StatusCode != 429 {
		t.Fatalf("right password while throttled: %d, want 429 (not checked)", resp.StatusCode)
	}
	if got := basic.Verifications() - before; got != 10 {
		t.Fatalf("bcrypt ran %d times during the flood, want 10", got)
	}
	if resp, _ := do(t, "GET", h.url+"/api/x", nil, basicHeader("alice", "secret")); resp.StatusCode != 200 {
		t.Fatalf("verified credentials while the address is throttled: %d", resp.StatusCode)
	}
	r, _ := h.gw.metrics.Route("/api/*", time.Now())
	if r.Auth.Throttled != 21 || r.Auth.Unauthorized != 10 || len(r.Auth.TopRefused) == 0 || r.Auth.TopRefused[0].Key != "127.0.0.1" {
		t.Fatalf("dashboard auth counts: %+v", r.Auth)
	}
}

// TestAuthRateLimitPerConsumer: {consumer} gives each consumer one quota,
// whichever of its keys it uses.
func TestAuthRateLimitPerConsumer(t *testing.T) {
	backend, _ := authBackend(t)
	h := startGateway(t, configYAML(backend, fmt.Sprintf(`  paths:
    - pattern: /api/*
      features:
        auth:
          api_keys:
            keys: [{name: team-a, sha256: %q}, {name: team-a, sha256: %q}, {name: team-b, sha256: %q}]
        rate_limit: {quota: 2, duration: 60, key: "{consumer}"}
`, keyHash("a1"), keyHash("a2"), keyHash("b1"))))
	status := func(key string) int {
		resp, _ := do(t, "GET", h.url+"/api/x", nil, map[string]string{"X-API-Key": key})
		return resp.StatusCode
	}
	got := []int{status("a1"), status("a2"), status("a1"), status("a2"), status("b1"), status("b1"), status("b1")}
	want := []int{200, 200, 429, 429, 200, 200, 429}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("statuses %v, want %v (team-a's two keys share one quota; team-b has its own)", got, want)
	}
	// An unauthenticated request is refused before the limit counts it.
	if resp, _ := do(t, "GET", h.url+"/api/x", nil, nil); resp.StatusCode != 401 {
		t.Fatalf("no key: %d", resp.StatusCode)
	}
	byName := map[string]source.Consumer{}
	for _, c := range h.gw.metrics.Consumers() {
		byName[c.Consumer] = c
	}
	if byName["team-a"].Requests != 4 || byName["team-a"].Limited != 2 || byName["team-b"].Requests != 3 {
		t.Fatalf("per-consumer counts: %+v", byName)
	}
	var buf strings.Builder
	h.gw.writePrometheus(&buf)
	body := buf.String()
	if _, err := promcheck.Families([]byte(body)); err != nil {
		t.Fatalf("exposition invalid: %v", err)
	}
	for _, want := range []string{`premier_consumer_requests_total{consumer="team-a"} 4`,
		`premier_auth_decisions_total{route="/api/*",decision="admitted"} 7`,
		`premier_auth_decisions_total{route="/api/*",decision="unauthorized"} 1`} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestAuthBeforeCache: an unauthenticated request is never served a cached
// answer, and one consumer is never served another's (the default key
// holds the consumer).
func TestAuthBeforeCache(t *testing.T) {
	backend, seen := authBackend(t)
	h := startGateway(t, configYAML(backend, fmt.Sprintf(`  paths:
    - pattern: /api/*
      features:
        auth: {api_keys: {keys: [{name: a, sha256: %q}, {name: b, sha256: %q}]}}
        cache: {expire_s: 60}
`, keyHash("ka"), keyHash("kb"))))
	get := func(key string) (*http.Response, string) {
		var hdr map[string]string
		if key != "" {
			hdr = map[string]string{"X-API-Key": key}
		}
		return do(t, "GET", h.url+"/api/page", nil, hdr)
	}
	if resp, body := get("ka"); resp.StatusCode != 200 || body != "hello a n=1" {
		t.Fatalf("first: %d %q", resp.StatusCode, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body := get("ka")
		if resp.Header.Get("X-Cache") == "HIT" {
			if body != "hello a n=1" {
				t.Fatalf("hit body %q", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never a hit")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if resp, body := get(""); resp.StatusCode != 401 || resp.Header.Get("X-Cache") != "" {
		t.Fatalf("unauthenticated: %d %q X-Cache %q", resp.StatusCode, body, resp.Header.Get("X-Cache"))
	}
	if resp, body := get("wrong"); resp.StatusCode != 401 {
		t.Fatalf("wrong key: %d %q", resp.StatusCode, body)
	}
	n := seen.n.Load()
	if resp, body := get("kb"); resp.StatusCode != 200 || resp.Header.Get("X-Cache") == "HIT" || body != fmt.Sprintf("hello b n=%d", n+1) {
		t.Fatalf("consumer b got %d %q X-Cache %q: another consumer's entry", resp.StatusCode, body, resp.Header.Get("X-Cache"))
	}
}

func TestAuthConfigProblems(t *testing.T) {
	dir := t.TempDir()
	md5 := filepath.Join(dir, "md5")
	if err := os.WriteFile(md5, []byte("alice:$apr1$abc$defghijklmnopqrstuv\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ auth, want string }{
		"non-bcrypt":   {"{basic: {users_file: " + md5 + "}}", "not a bcrypt hash"},
		"missing file": {"{basic: {users_file: " + filepath.Join(dir, "none") + "}}", "users_file"},
		"bad hash":     {"{api_keys: {keys: [{name: a, sha256: abc}]}}", "64 hex digits"},
		"no method":    {"{}", "at least one method"},
		"no source":    {`{api_keys: {header: "", keys: [{name: a, sha256: ` + keyHash("x") + `}]}}`, "header or a query"},
		"bad name":     {"{api_keys: {keys: [{name: 'a b', sha256: " + keyHash("x") + "}]}}", "visible ASCII"},
	} {
		_, err := config.Parse("t.yaml", []byte("premier:\n  servers: [\"http://127.0.0.1:1\"]\n  paths:\n    - pattern: /x\n      features:\n        auth: "+tc.auth+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, tc.want)
		}
	}
}

// TestAuthOtherEntrances: a WebSocket upgrade and a request expecting 100
// Continue are authenticated before anything else happens, and a plugin-mode
// app gets the gateway's X-Consumer only.
func TestAuthOtherEntrances(t *testing.T) {
	backend, seen := authBackend(t)
	cfg := fmt.Sprintf(`  paths:
    - pattern: /api/*
      features:
        auth: {api_keys: {keys: [{name: mobile, sha256: %q}]}}
`, keyHash("k"))
	h := startGateway(t, configYAML(backend, cfg))
	ws := rawRequest(t, h.addr, "GET /api/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: close\r\n\r\n")
	if !strings.HasPrefix(ws, "HTTP/1.1 401") || !strings.Contains(strings.ToLower(ws), "www-authenticate: bearer") {
		t.Fatalf("WebSocket upgrade without a key: %q", ws)
	}
	expect := rawRequest(t, h.addr, "POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	if !strings.HasPrefix(expect, "HTTP/1.1 401") || strings.Contains(expect, "100 Continue") {
		t.Fatalf("Expect: 100-continue without a key: %q", expect)
	}
	expect = rawRequest(t, h.addr, "POST /api/x HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nX-Consumer: admin\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nhello")
	if !strings.Contains(expect, "HTTP/1.1 200") || seen.consumer.Load() != "mobile" {
		t.Fatalf("Expect: 100-continue with a key: %q, backend saw X-Consumer %q", expect, seen.consumer.Load())
	}
	if seen.n.Load() != 1 {
		t.Fatalf("the backend got %d requests, want only the authenticated one", seen.n.Load())
	}

	var got atomic.Value
	app := startGateway(t, "premier:\n"+cfg, WithHandler(func(ctx *fasthttp.RequestCtx) {
		got.Store(strings.Join(headerValues(&ctx.Request.Header, HeaderConsumer), ","))
	}))
	if resp, _ := do(t, "GET", app.url+"/api/x", nil, map[string]string{"X-API-Key": "k", HeaderConsumer: "admin"}); resp.StatusCode != 200 || got.Load() != "mobile" {
		t.Fatalf("plugin mode: %d, app saw X-Consumer %q", resp.StatusCode, got.Load())
	}
}

// TestAuthRefusalCarriesCORS: on a rule with cors and auth, a preflight is
// answered before auth (no credentials asked), and auth's 401 carries the
// CORS headers so the page can read it.
func TestAuthRefusalCarriesCORS(t *testing.T) {
	backend, seen := authBackend(t)
	h := startGateway(t, configYAML(backend, fmt.Sprintf(`  paths:
    - pattern: /api/*
      features:
        cors: {allow_origins: ["https://app.example.com"], allow_headers: [X-API-Key]}
        auth: {api_keys: {keys: [{name: web, sha256: %q}]}}
`, keyHash("k"))))
	origin := map[string]string{"Origin": "https://app.example.com"}
	resp, body := do(t, "GET", h.url+"/api/x", nil, origin)
	if resp.StatusCode != 401 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || resp.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("401 without CORS headers: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, _ = do(t, "OPTIONS", h.url+"/api/x", nil, map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"})
	if resp.StatusCode != 204 || seen.n.Load() != 0 {
		t.Fatalf("preflight: %d, backend saw %d requests", resp.StatusCode, seen.n.Load())
	}
	origin["X-API-Key"] = "k"
	if resp, _ := do(t, "GET", h.url+"/api/x", nil, origin); resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Fatalf("admitted: %d %v", resp.StatusCode, resp.Header)
	}
}
