package auth

import (
	"crypto/sha256"

	"github.com/valyala/fasthttp"
)

// APIKeys is the compiled api_keys method.
//
// Keys are held only as their SHA-256, and a presented key is checked by
// hashing it and looking the hash up. The lookup is not a timing oracle
// for a stored key: how long a map lookup takes depends on the presented
// key's hash (seeded again per process by the runtime's map hash), never
// on how many leading bytes of a secret key match, and a side channel on
// the hash gives nothing useful: learning that SHA-256(guess) shares bytes
// with a stored hash does not bring the attacker closer to a key with that
// hash (SHA-256 is preimage resistant), unlike a byte-by-byte comparison
// of the keys themselves. Hashing costs the same for every key of a length.
type APIKeys struct {
	header []byte
	query  string
	byHash map[[32]byte]string // key hash → consumer name
}

func newAPIKeys(c *APIKeysConfig) (*APIKeys, error) {
	k := &APIKeys{query: c.Query, byHash: map[[32]byte]string{}}
	if c.Header != "" {
		k.header = []byte(c.Header)
	}
	for _, e := range c.Keys {
		h, err := parseHash(e.SHA256)
		if err != nil {
			return nil, err // Validate reported it with its position
		}
		k.byHash[h] = e.Name
	}
	if c.KeysFile != "" {
		if err := k.readKeysFile(c.KeysFile); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Challenge is the WWW-Authenticate value of a 401 from api_keys: the
// Bearer scheme, the one a client library knows for "send a token". The
// key itself goes in the configured header (or query parameter); the
// challenge only says that a credential is wanted.
func (k *APIKeys) Challenge() string { return "Bearer" }

// Authenticate reads the key from the header, else from the query
// parameter. The query parameter is always removed from st.URI, whoever
// decides, so it never travels further. A key in the header decides even
// when the query has one too. It does not allocate.
func (k *APIKeys) Authenticate(ctx *fasthttp.RequestCtx, st *State) Result {
	var fromQuery []byte
	inQuery := false
	if k.query != "" {
		st.URI, st.buf, inQuery = takeQueryParam(st.URI, k.query, st.buf[:0])
		fromQuery = st.buf
	}
	if k.header != nil {
		if v := ctx.Request.Header.PeekBytes(k.header); v != nil {
			return k.check(v, st)
		}
	}
	if inQuery {
		return k.check(fromQuery, st)
	}
	return NoCredentials
}

// check admits key when its hash is a configured one.
func (k *APIKeys) check(key []byte, st *State) Result {
	name, ok := k.byHash[sha256.Sum256(key)]
	if !ok {
		return Refused
	}
	st.Identity = Identity{Consumer: name, Method: MethodAPIKey}
	return Admitted
}
