package auth

import (
	"sync"
	"time"
)

// credCache remembers verified Basic credentials by their salted hash for
// a short time, in a table of bounded size. At the cap, expired entries
// are dropped first; if none has expired an arbitrary one goes (Go's map
// iteration order), so a flood of distinct valid credentials cannot grow
// it. A reload builds a new cache: a user removed from the file is not
// admitted from the old one.
type credCache struct {
	mu  sync.RWMutex
	m   map[[32]byte]credEntry
	max int
	ttl int64
}

type credEntry struct {
	name    string
	expires int64 // unix nanoseconds
}

func (c *credCache) init(maxEntries int, ttl time.Duration) {
	c.m = make(map[[32]byte]credEntry)
	c.max, c.ttl = maxEntries, int64(ttl)
}

func (c *credCache) get(k [32]byte, now int64) (string, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || now >= e.expires {
		return "", false
	}
	return e.name, true
}

func (c *credCache) put(k [32]byte, name string, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for key, e := range c.m {
			if now >= e.expires {
				delete(c.m, key)
			}
		}
		for key := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = credEntry{name: name, expires: now + c.ttl}
}
