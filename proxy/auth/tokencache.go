package auth

import (
	"bytes"
	"hash/maphash"
)

// tokenCache remembers verified tokens so a token seen again is admitted
// by a hash, a lookup and a comparison instead of a signature check.
//
// Entries are keyed by a seeded 64-bit hash of the token (the seed is
// random per cache, so nobody can aim two tokens at one slot) and hold
// the token itself, compared in full: a hash collision is a miss, never an
// admission. The comparison need not be constant-time: it runs only when
// the presented token's seeded hash equals a cached token's, which a
// token other than the cached one reaches by chance (2^-64), so its
// timing tells a prober nothing about a cached token's bytes. An entry lives until the token's `exp`, never past
// it, and at most tokenTTL. At the cap, expired entries are dropped first,
// then arbitrary ones (expiring), so a flood of distinct valid tokens
// cannot grow it.
type tokenCache struct {
	seed maphash.Seed
	t    expiring[uint64, *tokenEntry]
}

type tokenEntry struct {
	token  []byte
	claims *tokenClaims
}

func (c *tokenCache) init(maxEntries int) {
	c.seed = maphash.MakeSeed()
	c.t.init(maxEntries)
}

func (c *tokenCache) get(tok []byte, now int64) *tokenClaims {
	e, ok := c.t.get(maphash.Bytes(c.seed, tok), now)
	if !ok || !bytes.Equal(e.token, tok) {
		return nil
	}
	return e.claims
}

func (c *tokenCache) put(tok []byte, claims *tokenClaims, expires, now int64) {
	e := &tokenEntry{token: append([]byte(nil), tok...), claims: claims}
	c.t.put(maphash.Bytes(c.seed, tok), e, expires, now)
}

func (c *tokenCache) len() int { return c.t.len() }
