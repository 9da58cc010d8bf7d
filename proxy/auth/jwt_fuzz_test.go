package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzJWTParse: whatever the bearer token holds, Authenticate does not
// panic and admits nothing but the one token signed with the secret.
func FuzzJWTParse(f *testing.F) {
	j := mustJWT(f, &JWTConfig{Secret: testSecret, Issuer: "https://issuer.test", Audience: "api"})
	good := sign(f, jwt.SigningMethodHS256, []byte(testSecret), "", claimsFor("alice", time.Hour))
	f.Add(good[:len(good)-1] + "A")
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhIiwiZXhwIjo5OTk5OTk5OTk5fQ.")
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.")
	f.Add("..")
	f.Add("\x00.\xff.")
	f.Add(sign(f, jwt.SigningMethodHS256, []byte(testSecret+"!"), "", claimsFor("alice", time.Hour)))
	f.Fuzz(func(t *testing.T, tok string) {
		res, _ := authWith(j, tok)
		if res == Admitted && tok != good {
			t.Fatalf("admitted %q", tok)
		}
	})
}
