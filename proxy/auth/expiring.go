package auth

import "sync"

// expiring is a table of bounded size whose entries expire, the shape of
// both the verified-credentials cache (Basic) and the verified-token cache
// (JWT). At the cap, expired entries are dropped first; if none has
// expired an arbitrary one goes (Go's map iteration order), so a flood of
// distinct valid credentials cannot grow it. Times are unix nanoseconds.
type expiring[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]expiringEntry[V]
	max int
}

type expiringEntry[V any] struct {
	v       V
	expires int64
}

func (c *expiring[K, V]) init(maxEntries int) {
	c.m = make(map[K]expiringEntry[V])
	c.max = maxEntries
}

// get returns k's value unless it is missing or expired at now.
func (c *expiring[K, V]) get(k K, now int64) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || now >= e.expires {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put stores v under k until expires, making room first at the cap.
func (c *expiring[K, V]) put(k K, v V, expires, now int64) {
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
	c.m[k] = expiringEntry[V]{v: v, expires: expires}
}

func (c *expiring[K, V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
