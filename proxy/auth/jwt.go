package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/ascii"
)

// JWT is the compiled jwt method: `Authorization: Bearer` JSON Web Tokens
// (RFC 7519) signed with the HMAC secret or a public key of the key file
// or the JWKS URL.
//
// What it refuses, and why:
//   - an `alg` outside the configured list, `none` always (the list never
//     holds it): the token does not choose how it is checked;
//   - algorithm confusion: an HS* token is checked only with the secret,
//     an RS/PS/ES/EdDSA token only with a public key of its own kind, so a
//     token HMAC-signed with the public key as the secret fails;
//   - a missing or past `exp`, a future `nbf` (both with the leeway), an
//     `iss` or `aud` other than the configured ones, a missing or unusable
//     `sub` (it is the consumer).
//
// A verified token is remembered (tokenCache) until its `exp`: the same
// token again costs a hash and a lookup, no signature check and no
// allocation.
type JWT struct {
	secret   []byte
	static   *keySet     // key_file
	jwks     *jwksSource // jwks_url
	parser   *jwt.Parser
	cache    tokenCache
	verified atomic.Uint64 // signature checks run
}

// Bounds of the jwt method.
const (
	maxTokenLen = 4096            // longest token read; a longer one is refused
	maxTokens   = 4096            // verified tokens remembered
	tokenTTL    = 5 * time.Minute // longest a verified token is remembered
)

func newJWT(c *JWTConfig) (*JWT, error) {
	algs := c.algorithms()
	j := &JWT{}
	opts := []jwt.ParserOption{jwt.WithValidMethods(algs), jwt.WithExpirationRequired(),
		jwt.WithLeeway(time.Duration(c.Leeway * float64(time.Second)))}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	if c.Audience != "" {
		opts = append(opts, jwt.WithAudience(c.Audience))
	}
	j.parser = jwt.NewParser(opts...)
	if c.Secret != "" {
		j.secret = []byte(c.Secret)
	}
	if c.KeyFile != "" {
		ks, err := readKeyFile(c.KeyFile)
		if err != nil {
			return nil, err
		}
		j.static = ks
	}
	if c.JWKSURL != "" {
		j.jwks = newJWKSSource(c.JWKSURL)
	}
	j.cache.init(maxTokens)
	return j, nil
}

// Challenge is the WWW-Authenticate value of a 401 from jwt.
func (j *JWT) Challenge() string { return "Bearer" }

// Verifications is how many tokens were checked by signature: what the
// token cache saves shows here.
func (j *JWT) Verifications() uint64 { return j.verified.Load() }

// JWKSFetches is how many times the JWKS URL was fetched.
func (j *JWT) JWKSFetches() uint64 {
	if j.jwks == nil {
		return 0
	}
	return j.jwks.fetches.Load()
}

const strBearer = "bearer "

// Authenticate reads `Authorization: Bearer <token>`. Another scheme is
// not this method's kind of credentials. A token it has verified before
// is admitted without allocating.
func (j *JWT) Authenticate(ctx *fasthttp.RequestCtx, st *State) Result {
	v := ctx.Request.Header.PeekBytes(hdrAuthorization)
	if len(v) < len(strBearer) || !ascii.EqualFold(v[:len(strBearer)], strBearer) {
		return NoCredentials
	}
	tok := trimSpace(v[len(strBearer):])
	if len(tok) == 0 || len(tok) > maxTokenLen {
		return Refused
	}
	now := st.Now.UnixNano()
	if st.Now.IsZero() {
		now = time.Now().UnixNano()
	}
	if c := j.cache.get(tok, now); c != nil {
		st.Identity = Identity{Consumer: c.sub, Method: MethodJWT, Claims: c}
		return Admitted
	}
	c, exp, ok := j.verify(string(tok))
	if !ok {
		return Refused
	}
	if limit := now + int64(tokenTTL); exp > limit {
		exp = limit
	}
	j.cache.put(tok, c, exp, now)
	st.Identity = Identity{Consumer: c.sub, Method: MethodJWT, Claims: c}
	return Admitted
}

// verify checks the token's signature and claims; it returns the claims
// and `exp` in unix nanoseconds.
func (j *JWT) verify(tok string) (*tokenClaims, int64, bool) {
	j.verified.Add(1)
	claims := jwt.MapClaims{}
	t, err := j.parser.ParseWithClaims(tok, claims, j.key)
	if err != nil || !t.Valid {
		return nil, 0, false
	}
	sub, err := claims.GetSubject()
	if err != nil || checkSub(sub) != nil {
		return nil, 0, false
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, 0, false
	}
	return newTokenClaims(sub, claims), exp.UnixNano(), true
}

var errNoKey = errors.New("no key for this token")

// key picks the verification key by the token's algorithm family, so a
// token never chooses a key of another kind: HS* gets only the secret,
// the others only public keys of their own type.
func (j *JWT) key(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if slices.Contains(hmacAlgs, alg) {
		if j.secret == nil {
			return nil, errNoKey
		}
		return j.secret, nil
	}
	kid, _ := t.Header["kid"].(string)
	ks := j.static
	if ks == nil && j.jwks != nil {
		ks, _ = j.jwks.lookup(kid)
	}
	if ks == nil {
		return nil, errNoKey
	}
	if kid != "" {
		if k, ok := ks.byKID[kid]; ok && fits(alg, k) {
			return k, nil
		}
		if j.static == nil || len(j.static.byKID) > 0 { // a JWKS names its keys: an unknown kid has none
			return nil, errNoKey
		}
	}
	set := jwt.VerificationKeySet{}
	for _, k := range ks.all {
		if fits(alg, k) {
			set.Keys = append(set.Keys, k)
		}
	}
	if len(set.Keys) == 0 {
		return nil, errNoKey
	}
	return set, nil
}

// fits reports whether public key k is of the kind alg needs.
func fits(alg string, k any) bool {
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		_, ok := k.(*rsa.PublicKey)
		return ok
	case strings.HasPrefix(alg, "ES"):
		_, ok := k.(*ecdsa.PublicKey)
		return ok
	case alg == "EdDSA":
		_, ok := k.(ed25519.PublicKey)
		return ok
	}
	return false
}

// trimSpace drops the spaces and tabs around b.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// checkSub accepts a `sub` as a consumer name: 1 to 64 visible ASCII
// characters (it goes into the X-Consumer header, keys and the dashboard).
func checkSub(s string) error {
	if s == "" || len(s) > maxNameLen {
		return errors.New("sub must be 1 to 64 bytes")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return errors.New("sub must be visible ASCII")
		}
	}
	return nil
}
