package cache

import "github.com/valyala/fasthttp"

// Stored is a read-only view of the stored response an answer was made
// from. A 304 the cache answers carries only some of the stored fields
// (conditional.go); what the 200 it stands for would have carried besides
// (the compression stage's Vary and weakened ETag, RFC 9110 §15.4.5) is
// decided from the stored response itself.
type Stored struct{ e *entry }

// Served returns the stored response ctx's answer was made from: a hit
// served whole or as a 304, or a miss whose response was just stored or
// refreshed by a 304 (not a 206 cut from an entry). It reports false for any other answer, and always until
// EnableDerived was called (noteServed records the entry only then).
func (c *Cache) Served(ctx *fasthttp.RequestCtx) (Stored, bool) {
	e := servedEntry(ctx)
	return Stored{e}, e != nil
}

// Status is the stored response's status code.
func (s Stored) Status() int { return s.e.status }

// Size is the length of the stored response's body.
func (s Stored) Size() int { return len(s.e.body) }

// PeekBytes is the value of the stored response's first header field
// named name (any case), or nil.
func (s Stored) PeekBytes(name []byte) []byte { return storedField(s.e, name) }
