package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/crypto/bcrypt"

	"github.com/premier-gateway/premier/internal/ascii"
)

// Basic is the compiled basic method: HTTP Basic credentials (RFC 7617)
// checked against an htpasswd file's bcrypt hashes.
//
// bcrypt is slow on purpose (tens of milliseconds at cost 10), so two
// things keep it off the common path and out of an attacker's hands:
//
//   - credentials that verified are remembered for credTTL under the
//     SHA-256 of a per-load random salt and the decoded "user:password"
//     (never the password itself), in a table of at most maxCreds entries;
//     a client sending the same credentials again is admitted by one hash
//     and a lookup;
//   - failures are counted per client address (failThrottle): after
//     failLimit failures in failWindow the client's further attempts get
//     429 without running bcrypt until the window ends, so a flood of
//     wrong passwords costs the gateway one map lookup each.
//
// An unknown user is checked against a dummy hash of the same cost, so the
// answer takes as long as for a known user with a wrong password.
type Basic struct {
	challenge string
	users     map[string]*user
	dummy     []byte
	salt      [16]byte
	creds     credCache
	throttle  failThrottle
	verified  atomic.Uint64 // bcrypt comparisons run
}

// Bounds of the verified-credentials cache and of the failure throttle.
const (
	credTTL     = 30 * time.Second
	maxCreds    = 4096
	failLimit   = 10
	failWindow  = time.Minute
	maxClients  = 16384
	maxBasicLen = 512 // longest base64 credentials read: bcrypt reads at most 72 bytes of a password
)

func newBasic(c *BasicConfig) (*Basic, error) {
	users, cost, err := readHtpasswd(c.UsersFile)
	if err != nil {
		return nil, err
	}
	b := &Basic{challenge: `Basic realm="` + c.Realm + `", charset="UTF-8"`, users: users}
	if b.dummy, err = bcrypt.GenerateFromPassword([]byte("premier: no such user"), cost); err != nil {
		return nil, err
	}
	if _, err := rand.Read(b.salt[:]); err != nil {
		return nil, err
	}
	b.creds.init(maxCreds, credTTL)
	b.throttle.init(maxClients, failLimit, failWindow)
	return b, nil
}

// Challenge is the WWW-Authenticate value of a 401 from basic.
func (b *Basic) Challenge() string { return b.challenge }

// Verifications is how many bcrypt comparisons ran: what the credentials
// cache and the failure throttle save shows here.
func (b *Basic) Verifications() uint64 { return b.verified.Load() }

const strBasic = "basic "

// Authenticate reads `Authorization: Basic …`. Any other scheme is not
// this method's kind of credentials.
func (b *Basic) Authenticate(ctx *fasthttp.RequestCtx, st *State) Result {
	v := ctx.Request.Header.PeekBytes(hdrAuthorization)
	if len(v) < len(strBasic) || !ascii.EqualFold(v[:len(strBasic)], strBasic) {
		return NoCredentials
	}
	enc := bytes.TrimLeft(v[len(strBasic):], " ")
	if len(enc) > maxBasicLen {
		return Refused
	}
	n := base64.StdEncoding.DecodedLen(len(enc))
	if cap(st.buf) < n {
		st.buf = make([]byte, 0, maxBasicLen)
	}
	dec := st.buf[:n]
	n, err := base64.StdEncoding.Decode(dec, enc)
	if err != nil {
		return Refused
	}
	dec = dec[:n]
	colon := bytes.IndexByte(dec, ':')
	if colon <= 0 {
		return Refused
	}
	key := b.credKey(dec)
	now := time.Now().UnixNano()
	if name, ok := b.creds.get(key, now); ok {
		st.Identity = Identity{Consumer: name, Method: MethodBasic}
		return Admitted
	}
	if wait := b.throttle.blocked(st.Client, now); wait > 0 {
		st.RetryAfter = int((wait + int64(time.Second) - 1) / int64(time.Second))
		return Throttled
	}
	name, ok := b.verify(dec[:colon], dec[colon+1:])
	if !ok {
		b.throttle.fail(st.Client, now)
		return Refused
	}
	b.creds.put(key, name, now)
	st.Identity = Identity{Consumer: name, Method: MethodBasic}
	return Admitted
}

// verify runs bcrypt for user and password; it returns the user's name as
// the users table holds it.
func (b *Basic) verify(user, password []byte) (string, bool) {
	b.verified.Add(1)
	u, known := b.users[string(user)]
	if !known {
		_ = bcrypt.CompareHashAndPassword(b.dummy, password) // same time as a wrong password
		return "", false
	}
	if bcrypt.CompareHashAndPassword(u.hash, password) != nil {
		return "", false
	}
	return u.name, true // the table's own string: admitting allocates nothing
}

// user is one htpasswd entry.
type user struct {
	name string
	hash []byte
}

// credKey is the cache key of decoded "user:password" credentials.
func (b *Basic) credKey(cred []byte) [32]byte {
	var in [len(Basic{}.salt) + maxBasicLen]byte
	n := copy(in[:], b.salt[:])
	n += copy(in[n:], cred)
	return sha256.Sum256(in[:n])
}

var hdrAuthorization = []byte(fasthttp.HeaderAuthorization)
