package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

const testSecret = "0123456789abcdef0123456789abcdef-test"

func sign(t testing.TB, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
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

func claimsFor(sub string, exp time.Duration) jwt.MapClaims {
	return jwt.MapClaims{"sub": sub, "exp": time.Now().Add(exp).Unix(), "iss": "https://issuer.test", "aud": "api", "tenant": "t1"}
}

func authWith(j *JWT, token string) (Result, *State) {
	var ctx fasthttp.RequestCtx
	if token != "" {
		ctx.Request.Header.Set("Authorization", "Bearer "+token)
	}
	st := &State{}
	return j.Authenticate(&ctx, st), st
}

func mustJWT(t testing.TB, c *JWTConfig) *JWT {
	t.Helper()
	if c.Leeway == 0 {
		c.Leeway = 30
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	j, err := newJWT(c)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestJWTHMAC(t *testing.T) {
	j := mustJWT(t, &JWTConfig{Secret: testSecret, Issuer: "https://issuer.test", Audience: "api"})
	good := sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", claimsFor("alice", time.Hour))
	res, st := authWith(j, good)
	if res != Admitted || st.Identity.Consumer != "alice" || st.Identity.Method != MethodJWT {
		t.Fatalf("good token: %v %+v", res, st.Identity)
	}
	if v, ok := st.Identity.Claims.Claim("tenant"); !ok || string(v) != "t1" {
		t.Fatalf("claim tenant = %q %v", v, ok)
	}
	if v, _ := st.Identity.Claims.Claim("exp"); len(v) < 10 {
		t.Fatalf("numeric claim as text: %q", v)
	}
	// Again: from the cache, no second signature check.
	if res, _ := authWith(j, good); res != Admitted || j.Verifications() != 1 {
		t.Fatalf("cached: %v, %d verifications", res, j.Verifications())
	}
	if res, _ := authWith(j, ""); res != NoCredentials {
		t.Fatalf("no token: %v", res)
	}
	bad := map[string]string{
		"wrong secret": sign(t, jwt.SigningMethodHS256, []byte(testSecret+"x"), "", claimsFor("alice", time.Hour)),
		"expired":      sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", claimsFor("alice", -time.Minute)),
		"no exp":       sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", jwt.MapClaims{"sub": "a", "iss": "https://issuer.test", "aud": "api"}),
		"not yet valid": sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", func() jwt.MapClaims {
			c := claimsFor("a", time.Hour)
			c["nbf"] = time.Now().Add(time.Minute).Unix()
			return c
		}()),
		"wrong issuer": sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", func() jwt.MapClaims { c := claimsFor("a", time.Hour); c["iss"] = "evil"; return c }()),
		"wrong aud":    sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", func() jwt.MapClaims { c := claimsFor("a", time.Hour); c["aud"] = "other"; return c }()),
		"no sub":       sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", func() jwt.MapClaims { c := claimsFor("a", time.Hour); delete(c, "sub"); return c }()),
		"alg none":     sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claimsFor("alice", time.Hour)),
		"garbage":      "a.b.c",
	}
	for name, tok := range bad {
		if res, _ := authWith(j, tok); res != Refused {
			t.Errorf("%s: %v, want Refused", name, res)
		}
	}
	// Within the leeway: expired 10 s ago with 30 s of leeway passes.
	skew := sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", claimsFor("bob", -10*time.Second))
	if res, _ := authWith(j, skew); res != Admitted {
		t.Fatalf("within leeway: %v", res)
	}
}

func writePEM(t *testing.T, pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestJWTAlgorithmConfusion: an RS256 gateway never takes an HS256 token
// signed with its public key as the HMAC secret, even when HS256 is also
// allowed (with its own secret), nor a token whose alg is outside the list.
func TestJWTAlgorithmConfusion(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	path := writePEM(t, &rk.PublicKey)
	pemBytes, _ := os.ReadFile(path)
	j := mustJWT(t, &JWTConfig{KeyFile: path, Secret: testSecret, Algorithms: []string{"RS256", "HS256"}})
	if res, st := authWith(j, sign(t, jwt.SigningMethodRS256, rk, "", claimsFor("carol", time.Hour))); res != Admitted || st.Identity.Consumer != "carol" {
		t.Fatalf("RS256: %v", res)
	}
	for name, tok := range map[string]string{
		"HS256 with the PEM as secret": sign(t, jwt.SigningMethodHS256, pemBytes, "", claimsFor("mallory", time.Hour)),
		"HS256 with the DER as secret": sign(t, jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&rk.PublicKey), "", claimsFor("mallory", time.Hour)),
		"RS512 not in the list":        sign(t, jwt.SigningMethodRS512, rk, "", claimsFor("mallory", time.Hour)),
		"alg none":                     sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claimsFor("mallory", time.Hour)),
	} {
		if res, _ := authWith(j, tok); res != Refused {
			t.Errorf("%s: %v, want Refused", name, res)
		}
	}
	// An ES256 key cannot verify an RS256 token and the reverse.
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	je := mustJWT(t, &JWTConfig{KeyFile: writePEM(t, &ek.PublicKey), Algorithms: []string{"ES256", "RS256"}})
	if res, _ := authWith(je, sign(t, jwt.SigningMethodES256, ek, "", claimsFor("dave", time.Hour))); res != Admitted {
		t.Fatalf("ES256: %v", res)
	}
	if res, _ := authWith(je, sign(t, jwt.SigningMethodRS256, rk, "", claimsFor("dave", time.Hour))); res != Refused {
		t.Fatalf("RS256 against an EC key: %v", res)
	}
}

func rsaJWK(kid string, k *rsa.PublicKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

// jwksServer serves the JWKS it holds on a real socket and counts fetches.
type jwksServer struct {
	url   string
	doc   atomic.Value // []byte
	hits  atomic.Int64
	close func()
}

func startJWKS(t *testing.T, keys ...map[string]string) *jwksServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &jwksServer{url: "http://" + ln.Addr().String() + "/jwks.json"}
	s.set(keys...)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		_, _ = w.Write(s.doc.Load().([]byte))
	})}
	go srv.Serve(ln) //nolint:errcheck
	s.close = func() { _ = srv.Close() }
	t.Cleanup(s.close)
	return s
}

func (s *jwksServer) set(keys ...map[string]string) {
	b, _ := json.Marshal(map[string]any{"keys": keys})
	s.doc.Store(b)
}

// TestJWKSRefetchAndStale: an unknown kid fetches the set again, at most
// once per period; with the key server down the keys it had keep working.
func TestJWKSRefetchAndStale(t *testing.T) {
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	srv := startJWKS(t, rsaJWK("k1", &k1.PublicKey))
	j := mustJWT(t, &JWTConfig{JWKSURL: srv.url, Algorithms: []string{"RS256"}})
	j.jwks.every = 300 * time.Millisecond

	if res, _ := authWith(j, sign(t, jwt.SigningMethodRS256, k1, "k1", claimsFor("u1", time.Hour))); res != Admitted || srv.hits.Load() != 1 {
		t.Fatalf("k1: %v after %d fetches", res, srv.hits.Load())
	}
	srv.set(rsaJWK("k1", &k1.PublicKey), rsaJWK("k2", &k2.PublicKey))
	// Within the period an unknown kid does not fetch: refused, no hit.
	if res, _ := authWith(j, sign(t, jwt.SigningMethodRS256, k2, "k2", claimsFor("u2", time.Hour))); res != Refused || srv.hits.Load() != 1 {
		t.Fatalf("k2 within the period: %v after %d fetches", res, srv.hits.Load())
	}
	for range 50 { // a flood of made-up kids: still no fetch
		authWith(j, sign(t, jwt.SigningMethodRS256, k2, "made-up", claimsFor("u2", time.Hour)))
	}
	if srv.hits.Load() != 1 {
		t.Fatalf("made-up kids fetched %d times", srv.hits.Load())
	}
	time.Sleep(350 * time.Millisecond)
	if res, _ := authWith(j, sign(t, jwt.SigningMethodRS256, k2, "k2", claimsFor("u2", time.Hour))); res != Admitted || srv.hits.Load() != 2 {
		t.Fatalf("k2 after the period: %v after %d fetches", res, srv.hits.Load())
	}
	srv.close()
	time.Sleep(350 * time.Millisecond)
	// An unknown kid tries the dead server; the cached set survives it.
	if res, _ := authWith(j, sign(t, jwt.SigningMethodRS256, k2, "k3", claimsFor("u3", time.Hour))); res != Refused {
		t.Fatalf("k3: %v", res)
	}
	if res, _ := authWith(j, sign(t, jwt.SigningMethodRS256, k1, "k1", claimsFor("u4", time.Hour))); res != Admitted {
		t.Fatalf("k1 with the key server down: %v", res)
	}
	if j.JWKSFetches() != 3 {
		t.Fatalf("fetches %d, want 3 (first, k2, the failed k3)", j.JWKSFetches())
	}
}

// TestTokenCacheBounded: the cache never holds more than its cap, never
// admits past exp, and a colliding hash with another token is a miss.
func TestTokenCacheBounded(t *testing.T) {
	var c tokenCache
	c.init(8)
	now := time.Now().UnixNano()
	cl := &tokenClaims{sub: "x"}
	for i := range 100 {
		c.put([]byte{byte(i), 'a'}, cl, now+int64(time.Hour), now)
	}
	if c.len() > 8 {
		t.Fatalf("%d entries, cap 8", c.len())
	}
	c.put([]byte("tok"), cl, now+10, now)
	if c.get([]byte("tok"), now+5) == nil || c.get([]byte("tok"), now+10) != nil {
		t.Fatal("entry must live until exp and not after")
	}
	if c.get([]byte("tol"), now) != nil {
		t.Fatal("another token admitted")
	}
}

func TestJWTConfigValidate(t *testing.T) {
	for name, c := range map[string]*JWTConfig{
		"nothing":           {},
		"short secret":      {Secret: "short"},
		"RS without keys":   {Secret: testSecret, Algorithms: []string{"RS256"}},
		"HS without secret": {KeyFile: "k.pem", Algorithms: []string{"HS256"}},
		"alg none":          {Secret: testSecret, Algorithms: []string{"none"}},
		"both key sources":  {JWKSURL: "https://x/jwks", KeyFile: "k.pem"},
		"bad url":           {JWKSURL: "ftp://x"},
		"bad header":        {Secret: testSecret, ClaimsToHeaders: map[string]string{"X Bad": "sub"}},
		"consumer header":   {Secret: testSecret, ClaimsToHeaders: map[string]string{"x-consumer": "sub"}},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestForwardConfigValidate(t *testing.T) {
	ok := &ForwardConfig{URL: "http://auth:9000/verify", CopyHeaders: []string{"X-User-Id"}, Timeout: 1}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*ForwardConfig{
		"no url":         {Timeout: 1},
		"not http":       {URL: "ftp://auth/verify", Timeout: 1},
		"user info":      {URL: "http://u:p@auth/verify", Timeout: 1},
		"zero timeout":   {URL: "http://auth/verify"},
		"bad header":     {URL: "http://auth/verify", Timeout: 1, CopyHeaders: []string{"X Bad"}},
		"gateway header": {URL: "http://auth/verify", Timeout: 1, CopyHeaders: []string{"x-consumer"}},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestJWTCacheNeverPastExp: a remembered token is checked again once the
// request's clock passes its exp; it is never admitted from the cache
// after it.
func TestJWTCacheNeverPastExp(t *testing.T) {
	j := mustJWT(t, &JWTConfig{Secret: testSecret})
	tok := sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", claimsFor("alice", time.Hour))
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("Authorization", "Bearer "+tok)
	now := time.Now()
	for _, at := range []time.Time{now, now.Add(time.Minute), now.Add(time.Hour + time.Second)} {
		if res := j.Authenticate(&ctx, &State{Now: at}); res != Admitted {
			t.Fatalf("at %v: %v", at, res)
		}
	}
	if n := j.Verifications(); n != 2 {
		t.Fatalf("%d signature checks, want 2 (first use, and again past exp)", n)
	}
}

// TestJWTKeyFileJWKS: key_file may be a JWKS document; its keys are
// picked by kid and by kind (EC and Ed25519 here), and an unknown kid has
// no key.
func TestJWTKeyFileJWKS(t *testing.T) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, edk, _ := ed25519.GenerateKey(rand.Reader)
	size := 32
	doc, _ := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "EC", "kid": "ec1", "crv": "P-256", "x": base64.RawURLEncoding.EncodeToString(ek.X.FillBytes(make([]byte, size))),
			"y": base64.RawURLEncoding.EncodeToString(ek.Y.FillBytes(make([]byte, size)))},
		{"kty": "OKP", "kid": "ed1", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(pub)},
		{"kty": "oct", "kid": "skipped", "k": "c2VjcmV0"},
	}})
	p := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	j := mustJWT(t, &JWTConfig{KeyFile: p})
	if res, _ := authWith(j, sign(t, jwt.SigningMethodES256, ek, "ec1", claimsFor("e", time.Hour))); res != Admitted {
		t.Fatalf("ES256: %v", res)
	}
	if res, _ := authWith(j, sign(t, jwt.SigningMethodEdDSA, edk, "ed1", claimsFor("d", time.Hour))); res != Admitted {
		t.Fatalf("EdDSA: %v", res)
	}
	for name, tok := range map[string]string{
		"unknown kid":            sign(t, jwt.SigningMethodES256, ek, "nope", claimsFor("e", time.Hour)),
		"EdDSA under the EC kid": sign(t, jwt.SigningMethodEdDSA, edk, "ec1", claimsFor("d", time.Hour)),
	} {
		if res, _ := authWith(j, tok); res != Refused {
			t.Errorf("%s: %v", name, res)
		}
	}
}
