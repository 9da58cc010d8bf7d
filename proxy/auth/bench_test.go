package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

// BenchmarkAPIKeyHeader is the cost of an admitted key from the header:
// one SHA-256 and one map lookup, no allocation.
func BenchmarkAPIKeyHeader(b *testing.B) {
	sum := sha256.Sum256([]byte("a-long-enough-api-key-0123456789"))
	k, err := newAPIKeys(&APIKeysConfig{Header: "X-API-Key", Keys: []APIKey{{Name: "n", SHA256: hex.EncodeToString(sum[:])}}})
	if err != nil {
		b.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("X-API-Key", "a-long-enough-api-key-0123456789")
	st := &State{}
	b.ReportAllocs()
	for b.Loop() {
		if k.Authenticate(&ctx, st) != Admitted {
			b.Fatal("refused")
		}
	}
}

// BenchmarkJWTCached is the cost of a token verified before: a seeded
// hash, a lookup and a constant-time comparison, no signature check and
// no allocation.
func BenchmarkJWTCached(b *testing.B) {
	j := mustJWT(b, &JWTConfig{Secret: testSecret, Issuer: "https://issuer.test", Audience: "api"})
	tok := sign(b, jwt.SigningMethodHS256, []byte(testSecret), "", claimsFor("alice", time.Hour))
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("Authorization", "Bearer "+tok)
	st := &State{Now: time.Now()} // the request path reads the clock once per request
	if j.Authenticate(&ctx, st) != Admitted {
		b.Fatal("refused")
	}
	b.ReportAllocs()
	for b.Loop() {
		if j.Authenticate(&ctx, st) != Admitted {
			b.Fatal("refused")
		}
	}
}
