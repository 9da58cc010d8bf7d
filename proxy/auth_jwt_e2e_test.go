package proxy

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

const jwtTestSecret = "premier-test-secret-0123456789abcdef"

func signJWT(t testing.TB, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func jwtClaims(sub string, mod func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{"sub": sub, "exp": time.Now().Add(time.Hour).Unix(), "iss": "https://id.example", "aud": "orders", "tenant": "acme"}
	if mod != nil {
		mod(c)
	}
	return c
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// claimBackend answers with the identity headers it got.
func claimBackend(t *testing.T) string {
	return startBackend(t, func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Request.Header
		ctx.SetBodyString(fmt.Sprintf("consumer=%s user=%s tenant=%s",
			strings.Join(headerValues(h, HeaderConsumer), ","), strings.Join(headerValues(h, "X-User-Id"), ","), strings.Join(headerValues(h, "X-Tenant"), ",")))
	})
}

// TestAuthJWTHMAC: every way an HS256 token can be wrong is a 401 with the
// Bearer challenge; a good one reaches the backend with its claims in the
// configured headers, the client's forged copies removed.
func TestAuthJWTHMAC(t *testing.T) {
	h := startGateway(t, configYAML(claimBackend(t), fmt.Sprintf(`  paths:
    - pattern: /api/*
      features:
        auth:
          jwt:
            secret: %q
            issuer: https://id.example
            audience: orders
            algorithms: [HS256]
            leeway: 5
            claims_to_headers: {X-User-Id: sub, X-Tenant: tenant}
`, jwtTestSecret)))
	key := []byte(jwtTestSecret)
	good := signJWT(t, jwt.SigningMethodHS256, key, "", jwtClaims("alice", nil))
	hdr := bearer(good)
	hdr["X-User-Id"], hdr["X-Tenant"], hdr[HeaderConsumer] = "admin", "other", "root"
	resp, body := do(t, "GET", h.url+"/api/orders", nil, hdr)
	if resp.StatusCode != 200 || body != "consumer=alice user=alice tenant=acme" {
		t.Fatalf("good token: %d %q", resp.StatusCode, body)
	}
	// A token without the claim: the forged header is still gone.
	noTenant := signJWT(t, jwt.SigningMethodHS256, key, "", jwtClaims("bob", func(c jwt.MapClaims) { delete(c, "tenant") }))
	resp, body = do(t, "GET", h.url+"/api/orders", nil, map[string]string{"Authorization": "Bearer " + noTenant, "X-Tenant": "acme"})
	if resp.StatusCode != 200 || body != "consumer=bob user=bob tenant=" {
		t.Fatalf("token without tenant: %d %q", resp.StatusCode, body)
	}

	for name, tok := range map[string]string{
		"missing":       "",
		"wrong secret":  signJWT(t, jwt.SigningMethodHS256, []byte(jwtTestSecret+"!"), "", jwtClaims("alice", nil)),
		"expired":       signJWT(t, jwt.SigningMethodHS256, key, "", jwtClaims("alice", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })),
		"not yet valid": signJWT(t, jwt.SigningMethodHS256, key, "", jwtClaims("alice", func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Minute).Unix() })),
		"wrong issuer":  signJWT(t, jwt.SigningMethodHS256, key, "", jwtClaims("alice", func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })),
		"wrong aud":     signJWT(t, jwt.SigningMethodHS256, key, "", jwtClaims("alice", func(c jwt.MapClaims) { c["aud"] = "billing" })),
		"alg none":      signJWT(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", jwtClaims("alice", nil)),
		"HS512":         signJWT(t, jwt.SigningMethodHS512, key, "", jwtClaims("alice", nil)),
		"tampered":      good[:strings.LastIndexByte(good, '.')] + ".AAAA",
	} {
		var hdr map[string]string
		if tok != "" {
			hdr = bearer(tok)
		}
		resp, body := do(t, "GET", h.url+"/api/orders", nil, hdr)
		if resp.StatusCode != 401 || body != `{"error":"unauthorized"}` || resp.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s: %d %q %q", name, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// TestAuthJWTConsumerQuota: a rate limit keyed on {consumer} follows the
// token's sub: two tokens of one sub share a quota, two subs have their
// own. {jwt.tenant} keys work the same way.
func TestAuthJWTConsumerQuota(t *testing.T) {
	h := startGateway(t, configYAML(claimBackend(t), fmt.Sprintf(`  paths:
    - pattern: /api/*
      features:
        auth: {jwt: {secret: %q}}
        rate_limit: {quota: 2, duration: 60, key: "{consumer}"}
    - pattern: /tenant/*
      features:
        auth: {jwt: {secret: %q}}
        rate_limit: {quota: 1, duration: 60, key: "{jwt.tenant}"}
`, jwtTestSecret, jwtTestSecret)))
	key := []byte(jwtTestSecret)
	alice1 := signJWT(t, jwt.SigningMethodHS256, key, "", jwtClaims("alice", nil))
	alice2 := signJWT(t, jwt.SigningMethodHS256, key, "", jwtClaims("alice", func(c jwt.MapClaims) { c["jti"] = "refreshed" }))
	bob := signJWT(t, jwt.SigningMethodHS256, key, "", jwtClaims("bob", func(c jwt.MapClaims) { c["tenant"] = "globex" }))
	if alice1 == alice2 {
		t.Fatal("want two different tokens")
	}
	for i, tc := range []struct {
		tok  string
		want int
	}{{alice1, 200}, {alice2, 200}, {alice1, 429}, {alice2, 429}, {bob, 200}, {bob, 200}, {bob, 429}} {
		if resp, body := do(t, "GET", h.url+"/api/x", nil, bearer(tc.tok)); resp.StatusCode != tc.want {
			t.Fatalf("request %d: %d %q, want %d", i+1, resp.StatusCode, body, tc.want)
		}
	}
	for i, tc := range []struct {
		tok  string
		want int
	}{{alice1, 200}, {alice2, 429}, {bob, 200}} {
		if resp, body := do(t, "GET", h.url+"/tenant/x", nil, bearer(tc.tok)); resp.StatusCode != tc.want {
			t.Fatalf("tenant request %d: %d %q, want %d", i+1, resp.StatusCode, body, tc.want)
		}
	}
}

func rsaJWK(kid string, k *rsa.PublicKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

// TestAuthJWTJWKS: RS256 tokens against a real JWKS server. The set is
// fetched on the first token; an unknown kid fetches it again at most
// once per period (a flood of made-up kids is one fetch); with the JWKS
// server gone, the keys already fetched keep admitting; an HS256 token
// signed with the RSA public key is refused.
func TestAuthJWTJWKS(t *testing.T) {
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	var doc atomic.Value
	setKeys := func(keys ...map[string]string) {
		b, _ := json.Marshal(map[string]any{"keys": keys})
		doc.Store(b)
	}
	setKeys(rsaJWK("k1", &k1.PublicKey))
	var hits atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write(doc.Load().([]byte))
	})}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Close() })

	h := startGateway(t, configYAML(claimBackend(t), fmt.Sprintf(`  paths:
    - pattern: /api/*
      features:
        auth: {jwt: {jwks_url: "http://%s/jwks.json", secret: %q, algorithms: [RS256, HS256], claims_to_headers: {X-User-Id: sub}}}
`, ln.Addr(), jwtTestSecret)))

	if resp, body := do(t, "GET", h.url+"/api/a", nil, bearer(signJWT(t, jwt.SigningMethodRS256, k1, "k1", jwtClaims("carol", nil)))); resp.StatusCode != 200 || body != "consumer=carol user=carol tenant=" {
		t.Fatalf("k1: %d %q", resp.StatusCode, body)
	}
	if hits.Load() != 1 {
		t.Fatalf("%d JWKS fetches after the first token, want 1", hits.Load())
	}
	// Algorithm confusion: the public key (as PEM-less DER and as n) used as an HMAC secret.
	for _, secret := range [][]byte{k1.PublicKey.N.Bytes(), []byte(rsaJWK("k1", &k1.PublicKey)["n"])} {
		tok := signJWT(t, jwt.SigningMethodHS256, secret, "k1", jwtClaims("mallory", nil))
		if resp, _ := do(t, "GET", h.url+"/api/a", nil, bearer(tok)); resp.StatusCode != 401 {
			t.Fatalf("HS256 with the RSA key as secret: %d", resp.StatusCode)
		}
	}
	// The set rotates: k2 is unknown, and the refetch just happened, so
	// made-up kids do not make the gateway hammer the JWKS server.
	setKeys(rsaJWK("k1", &k1.PublicKey), rsaJWK("k2", &k2.PublicKey))
	for i := range 20 {
		tok := signJWT(t, jwt.SigningMethodRS256, k2, fmt.Sprintf("made-up-%d", i), jwtClaims("dave", nil))
		if resp, _ := do(t, "GET", h.url+"/api/a", nil, bearer(tok)); resp.StatusCode != 401 {
			t.Fatalf("made-up kid: %d", resp.StatusCode)
		}
	}
	if n := hits.Load(); n > 2 {
		t.Fatalf("%d JWKS fetches after a flood of unknown kids, want at most 2", n)
	}
	// The JWKS server goes away: keys already fetched keep working.
	_ = srv.Close()
	if resp, body := do(t, "GET", h.url+"/api/a", nil, bearer(signJWT(t, jwt.SigningMethodRS256, k1, "k1", jwtClaims("erin", nil)))); resp.StatusCode != 200 || body != "consumer=erin user=erin tenant=" {
		t.Fatalf("k1 with the JWKS server down: %d %q", resp.StatusCode, body)
	}
}
