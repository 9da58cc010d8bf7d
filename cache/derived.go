package cache

import (
	"bytes"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// Derived bodies: representations the gateway derives from a stored
// response's body (its compression: the body in a content coding), kept
// with the entry in memory so a hit serves them without deriving them
// again. The entry stays the one stored response, identity as the backend
// sent it: a client wanting identity gets those bytes, and a purge or an
// invalidation of the entry drops every derived body with it. Derived
// bodies live in memory only (Redis holds the entry), and together take
// at most a quarter of Config.MaxBytes: past that a hit derives its body
// again instead of keeping it.

// MaxDerived is the number of derived bodies an entry keeps: slots 0 to
// MaxDerived-1, numbered by the caller.
const MaxDerived = 4

// derivedSlots is an entry's derived bodies and their bytes.
type derivedSlots struct {
	body [MaxDerived]atomic.Pointer[[]byte]
	// held is 1 + the bytes kept while the entry is in the memory tier,
	// 0 once it has left it (or before it entered): nothing is kept then.
	held atomic.Int64
}

// servedKey is the user value naming the entry a request was answered
// from (a hit) or whose response it just stored (a miss).
type servedKey struct{}

// EnableDerived makes the cache record, on every hit and stored miss,
// the entry the answer is, for Derived and KeepDerived. Until it is
// called (the gateway does when a rule with a cache compresses), a hit
// pays one atomic load for it.
func (c *Cache) EnableDerived() { c.derive.Store(true) }

// noteServed records e as the entry ctx's response is.
func (c *Cache) noteServed(ctx *fasthttp.RequestCtx, e *entry) {
	if c.derive.Load() {
		ctx.SetUserValue(servedKey{}, e)
	}
}

func servedEntry(ctx *fasthttp.RequestCtx) *entry {
	e, _ := ctx.UserValue(servedKey{}).(*entry)
	return e
}

// Derived returns the body kept in slot i of the entry ctx's response was
// served from, or nil: on a hit whose body is still the entry's own bytes
// (a 206 cut from it, a 304 or a HEAD has none). It does not allocate.
func (c *Cache) Derived(ctx *fasthttp.RequestCtx, i int) []byte {
	e := servedEntry(ctx)
	if e == nil || uint(i) >= MaxDerived || !sameBytes(ctx.Response.Body(), e.body) {
		return nil
	}
	if b := e.derived.body[i].Load(); b != nil {
		return *b
	}
	return nil
}

// KeepDerived keeps a copy of b in slot i of the entry ctx's response was
// served from or just stored as, when ctx's body is that entry's body (the
// same bytes) and the budget allows. It reports whether b was kept.
func (c *Cache) KeepDerived(ctx *fasthttp.RequestCtx, i int, b []byte) bool {
	e := servedEntry(ctx)
	if e == nil || uint(i) >= MaxDerived || e.derived.held.Load() <= 0 || e.derived.body[i].Load() != nil {
		return false
	}
	if body := ctx.Response.Body(); !sameBytes(body, e.body) && !bytes.Equal(body, e.body) {
		return false
	}
	n := int64(len(b))
	if c.derivedBytes.Add(n) > c.cfg.MaxBytes/4 {
		c.derivedBytes.Add(-n)
		return false
	}
	for {
		v := e.derived.held.Load()
		if v <= 0 { // the entry left memory meanwhile
			c.derivedBytes.Add(-n)
			return false
		}
		if e.derived.held.CompareAndSwap(v, v+n) {
			break
		}
	}
	cp := append([]byte(nil), b...)
	if !e.derived.body[i].CompareAndSwap(nil, &cp) {
		e.derived.held.Add(-n) // another request kept it first
		c.derivedBytes.Add(-n)
		return false
	}
	return true
}

// enterL1 marks e as in the memory tier: derived bodies may be kept.
func (e *entry) enterL1() { e.derived.held.CompareAndSwap(0, 1) }

// leftL1 is ristretto's OnExit: e is no longer in the memory tier (evicted,
// rejected, replaced or deleted); its derived bytes leave the budget.
func (c *Cache) leftL1(e *entry) {
	if e == nil {
		return
	}
	if v := e.derived.held.Swap(0); v > 1 {
		c.derivedBytes.Add(-(v - 1))
	}
}

// sameBytes reports whether a and b are the same bytes in memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
