//go:build !race

package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

// TestJWTCachedZeroAllocs: a token verified before is admitted, and its
// claims read, without allocating.
func TestJWTCachedZeroAllocs(t *testing.T) {
	j := mustJWT(t, &JWTConfig{Secret: testSecret})
	tok := sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", claimsFor("alice", time.Hour))
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("Authorization", "Bearer "+tok)
	st := &State{}
	j.Authenticate(&ctx, st)
	n := testing.AllocsPerRun(500, func() {
		if j.Authenticate(&ctx, st) != Admitted {
			t.Fatal("refused")
		}
		if _, ok := st.Identity.Claims.Claim("tenant"); !ok {
			t.Fatal("no claim")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per cached token, want 0", n)
	}
}
