package auth

import (
	"bytes"
	"hash/maphash"
	"sync"
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
// then arbitrary ones, so a flood of distinct valid tokens cannot grow it.
type tokenCache struct {
	seed maphash.Seed
	mu   sync.RWMutex
	m    map[uint64]*tokenEntry
	max  int
}

type tokenEntry struct {
	token   []byte
	claims  *tokenClaims
	expires int64 // unix nanoseconds
}

func (c *tokenCache) init(maxEntries int) {
	c.seed = maphash.MakeSeed()
	c.m = make(map[uint64]*tokenEntry)
	c.max = maxEntries
}

func (c *tokenCache) get(tok []byte, now int64) *tokenClaims {
	h := maphash.Bytes(c.seed, tok)
	c.mu.RLock()
	e := c.m[h]
	c.mu.RUnlock()
	if e == nil || now >= e.expires || !bytes.Equal(e.token, tok) {
		return nil
	}
	return e.claims
}

func (c *tokenCache) put(tok []byte, claims *tokenClaims, expires, now int64) {
	e := &tokenEntry{token: append([]byte(nil), tok...), claims: claims, expires: expires}
	h := maphash.Bytes(c.seed, tok)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, old := range c.m {
			if now >= old.expires {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[h] = e
}

func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
