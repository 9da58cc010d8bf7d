package auth

import "time"

// credCache remembers verified Basic credentials by their salted hash for
// a short time, in a table of bounded size (expiring). A reload builds a
// new cache: a user removed from the file is not admitted from the old one.
type credCache struct {
	t   expiring[[32]byte, string]
	ttl int64
}

func (c *credCache) init(maxEntries int, ttl time.Duration) {
	c.t.init(maxEntries)
	c.ttl = int64(ttl)
}

func (c *credCache) get(k [32]byte, now int64) (string, bool) { return c.t.get(k, now) }

func (c *credCache) put(k [32]byte, name string, now int64) { c.t.put(k, name, now+c.ttl, now) }
