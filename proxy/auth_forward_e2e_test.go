package proxy

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

// authService is a real auth service for forward auth: it admits
// "Bearer good" (with identity headers), stalls on "Bearer slow", answers
// 500 to "Bearer broken", sends a browser with cookie session=none to the
// login page, and refuses everything else with its own body.
type authService struct {
	url           string
	hits          atomic.Int64
	method, uri   atomic.Value
	cookie, xhost atomic.Value
	stop          func()
}

func startAuthService(t *testing.T) *authService {
	a := &authService{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		a.hits.Add(1)
		h := &ctx.Request.Header
		a.method.Store(string(h.Peek("X-Forwarded-Method")))
		a.uri.Store(string(h.Peek("X-Forwarded-Uri")))
		a.cookie.Store(string(h.Peek("Cookie")))
		a.xhost.Store(string(h.Peek("X-Forwarded-Host")))
		switch authz := string(h.Peek("Authorization")); {
		case authz == "Bearer good":
			ctx.Response.Header.Set("X-User-Id", "u-42")
			ctx.Response.Header.Set("X-Not-Copied", "1")
			ctx.SetStatusCode(204)
		case authz == "Bearer slow":
			time.Sleep(time.Second)
		case authz == "Bearer broken":
			ctx.SetStatusCode(500)
			ctx.SetBodyString("stack trace with secrets")
		case strings.Contains(a.cookie.Load().(string), "session=none"):
			ctx.Redirect("https://sso.example/login?next=/app", 302)
			ctx.Response.Header.Set("Set-Cookie", "sso_state=1")
		default:
			ctx.SetStatusCode(401)
			ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="sso"`)
			ctx.Response.Header.Set("Set-Cookie", "internal=1")
			ctx.SetContentType("application/problem+json")
			ctx.SetBodyString(`{"title":"log in first"}`)
		}
	}}
	go srv.Serve(ln) //nolint:errcheck
	a.url = "http://" + ln.Addr().String() + "/verify?v=1"
	a.stop = func() { _ = srv.Shutdown(); _ = ln.Close() }
	t.Cleanup(a.stop)
	return a
}

func TestAuthForward(t *testing.T) {
	as := startAuthService(t)
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Request.Header
		ctx.SetBodyString(fmt.Sprintf("user=%s notcopied=%s consumer=%s", strings.Join(headerValues(h, "X-User-Id"), ","),
			string(h.Peek("X-Not-Copied")), string(h.Peek(HeaderConsumer))))
	})
	h := startGateway(t, configYAML(backend, fmt.Sprintf(`  paths:
    - pattern: /app/*
      features:
        auth:
          forward: {url: %q, copy_headers: [X-User-Id], timeout: 0.3}
`, as.url)))

	// Admitted: the auth service's X-User-Id replaces the client's forged one.
	resp, body := do(t, "POST", h.url+"/app/orders?id=7", nil, map[string]string{"Authorization": "Bearer good", "X-User-Id": "admin", "Cookie": "a=1; b=2"})
	if resp.StatusCode != 200 || body != "user=u-42 notcopied= consumer=" {
		t.Fatalf("admit: %d %q", resp.StatusCode, body)
	}
	if as.method.Load() != "POST" || as.uri.Load() != "/app/orders?id=7" || as.cookie.Load() != "a=1; b=2" || !strings.HasPrefix(as.xhost.Load().(string), "127.0.0.1") {
		t.Fatalf("auth service saw method %v uri %v cookie %v host %v", as.method.Load(), as.uri.Load(), as.cookie.Load(), as.xhost.Load())
	}
	// Denied: its own status, body, challenge and type; not its cookie.
	resp, body = do(t, "GET", h.url+"/app/x", nil, map[string]string{"Authorization": "Bearer bad"})
	if resp.StatusCode != 401 || body != `{"title":"log in first"}` || resp.Header.Get("WWW-Authenticate") != `Bearer realm="sso"` ||
		resp.Header.Get("Content-Type") != "application/problem+json" || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("deny: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// No credentials at all: still the auth service's to judge (a login redirect).
	noFollow := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", h.url+"/app/x", nil)
	req.Header.Set("Cookie", "session=none")
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "https://sso.example/login?next=/app" {
		t.Fatalf("redirect: %d %v", resp.StatusCode, resp.Header)
	}
	// A 5xx from the auth service and a timeout fail closed: 503, nothing of its body.
	for _, tok := range []string{"broken", "slow"} {
		start := time.Now()
		resp, body = do(t, "GET", h.url+"/app/x", nil, map[string]string{"Authorization": "Bearer " + tok})
		if resp.StatusCode != 503 || body != `{"error":"authentication service unavailable"}` {
			t.Fatalf("%s: %d %q", tok, resp.StatusCode, body)
		}
		if took := time.Since(start); took > 900*time.Millisecond {
			t.Fatalf("%s: answered after %v, want the 0.3 s timeout", tok, took)
		}
	}
}

// TestAuthForwardDownBreaker: with the auth service gone every request is
// 503; after five failures the breaker stops asking it.
func TestAuthForwardDownBreaker(t *testing.T) {
	as := startAuthService(t)
	backend, seen := authBackend(t)
	h := startGateway(t, configYAML(backend, fmt.Sprintf(`  paths:
    - pattern: /app/*
      features:
        auth:
          forward: {url: %q, timeout: 0.5}
`, as.url)))
	if resp, _ := do(t, "GET", h.url+"/app/x", nil, map[string]string{"Authorization": "Bearer good"}); resp.StatusCode != 200 {
		t.Fatalf("up: %d", resp.StatusCode)
	}
	as.stop()
	for i := range 5 {
		if resp, body := do(t, "GET", h.url+"/app/x", nil, map[string]string{"Authorization": "Bearer good"}); resp.StatusCode != 503 {
			t.Fatalf("down %d: %d %q", i, resp.StatusCode, body)
		}
	}
	hits := as.hits.Load()
	for range 10 {
		if resp, _ := do(t, "GET", h.url+"/app/x", nil, map[string]string{"Authorization": "Bearer good"}); resp.StatusCode != 503 {
			t.Fatalf("breaker open: %d", resp.StatusCode)
		}
	}
	if as.hits.Load() != hits || seen.n.Load() != 1 {
		t.Fatalf("auth service asked %d more times, backend reached %d times", as.hits.Load()-hits, seen.n.Load())
	}
}

// TestAuthMethodOrder: api_keys → jwt → forward in one block. The first
// method that finds its kind of credentials decides and the later ones are
// not asked; forward takes every request no earlier method claimed.
// Without forward, a request with no credentials is a 401 with one Bearer
// challenge for api_keys and jwt together.
func TestAuthMethodOrder(t *testing.T) {
	as := startAuthService(t)
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyString("consumer=" + string(ctx.Request.Header.Peek(HeaderConsumer)) + " user=" + string(ctx.Request.Header.Peek("X-User-Id")))
	})
	// forward written first: the order in the file does not matter.
	h := startGateway(t, configYAML(backend, fmt.Sprintf(`  paths:
    - pattern: /all/*
      features:
        auth:
          forward: {url: %q, copy_headers: [X-User-Id]}
          jwt: {secret: %q}
          api_keys: {keys: [{name: batch, sha256: %q}]}
    - pattern: /nofwd/*
      features:
        auth:
          jwt: {secret: %q}
          api_keys: {keys: [{name: batch, sha256: %q}]}
`, as.url, jwtTestSecret, keyHash("k-batch"), jwtTestSecret, keyHash("k-batch"))))
	tok := signJWT(t, jwt.SigningMethodHS256, []byte(jwtTestSecret), "", jwtClaims("alice", nil))
	bad := signJWT(t, jwt.SigningMethodHS256, []byte(jwtTestSecret+"!"), "", jwtClaims("alice", nil))
	for _, tc := range []struct {
		name      string
		hdr       map[string]string
		status    int
		body      string
		askedAuth bool
	}{
		{"key", map[string]string{"X-API-Key": "k-batch", "Authorization": "Bearer " + bad}, 200, "consumer=batch user=", false},
		{"wrong key beats a good token", map[string]string{"X-API-Key": "nope", "Authorization": "Bearer " + tok}, 401, `{"error":"unauthorized"}`, false},
		{"token", map[string]string{"Authorization": "Bearer " + tok}, 200, "consumer=alice user=", false},
		{"bad token", map[string]string{"Authorization": "Bearer " + bad}, 401, `{"error":"unauthorized"}`, false},
		{"Basic goes to forward", map[string]string{"Authorization": "Basic dTpw"}, 401, `{"title":"log in first"}`, true},
		{"nothing goes to forward", map[string]string{"Cookie": "s=1"}, 401, `{"title":"log in first"}`, true},
	} {
		before := as.hits.Load()
		resp, body := do(t, "GET", h.url+"/all/x", nil, tc.hdr)
		if resp.StatusCode != tc.status || body != tc.body || (as.hits.Load() > before) != tc.askedAuth {
			t.Errorf("%s: %d %q, auth service asked: %v", tc.name, resp.StatusCode, body, as.hits.Load() > before)
		}
	}
	resp, body := do(t, "GET", h.url+"/nofwd/x", nil, nil)
	if resp.StatusCode != 401 || body != `{"error":"unauthorized"}` || len(resp.Header.Values("WWW-Authenticate")) != 1 || resp.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("no credentials, no forward: %d %q %v", resp.StatusCode, body, resp.Header.Values("WWW-Authenticate"))
	}
}
