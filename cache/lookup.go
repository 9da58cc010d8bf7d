package cache

import (
	"bytes"
	"hash/maphash"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// Result is what Lookup did with a request.
type Result uint8

// Lookup results.
const (
	// Bypass: the cache does not handle this request (not GET or HEAD,
	// or a precondition only the origin decides: If-Match,
	// If-Unmodified-Since). Forward it; there is no Fill.
	Bypass Result = iota
	// Hit: the response is written into ctx. Send it; do not forward.
	Hit
	// Miss: forward the request, then call Fill.Done (or Fill.Abort on error).
	Miss
	// Refresh: a stale response is written into ctx (stale-while-revalidate).
	// Send it. With a non-nil Fill, refresh the entry in the background:
	// forward a copy of the request readied by Fill.Prepare, then call
	// Fill.Done on it (or Fill.Abort). The Fill is nil when another
	// request's refresh is running; until it ends the key is served stale.
	Refresh
)

// String returns "bypass", "hit", "miss" or "refresh".
func (r Result) String() string {
	switch r {
	case Hit:
		return "hit"
	case Miss:
		return "miss"
	case Refresh:
		return "refresh"
	}
	return "bypass"
}

var (
	hdrAge         = []byte("Age")
	hdrXCache      = []byte("X-Cache")
	hdrCacheStatus = []byte("Cache-Status")
	hdrCacheCtl    = []byte(fasthttp.HeaderCacheControl)
	hdrPragma      = []byte(fasthttp.HeaderPragma)
	hdrAuth        = []byte(fasthttp.HeaderAuthorization)
	valHit         = []byte("HIT")
	valMiss        = []byte("MISS")
	zeroPolicy     = Policy{}
)

// cacheName is this cache's identifier in Cache-Status (RFC 9211).
const cacheName = "premier"

// Lookup answers a GET or HEAD from the cache, or tells the caller to fetch.
//
// key is the request's cache key: AppendDefaultKey's or the rule's cache_key
// template, as bytes (Lookup does not keep it). Keys are namespaced by
// p.Rule here, and by the Redis keyspace in Redis, so callers pass only what
// distinguishes requests within the rule. p nil means the zero Policy.
//
// On Hit the stored response is in ctx.Response with Age, X-Cache: HIT and
// Cache-Status; a HEAD gets the GET entry's headers and Content-Length
// without the body, and a request whose If-None-Match or If-Modified-Since
// the entry fails gets a 304 (conditional.go). A hit from memory does not
// allocate.
//
// On Miss the caller forwards the request, then calls Done with the backend
// response in ctx.Response (or Abort if there is none). Concurrent misses for
// one key are collapsed: the first gets the Fill that stores, the others wait
// for it (at most the lock timeout) and are answered from its response as a
// Hit; if it was not storable or failed, each gets its own Fill and fetches.
// When p.HonorClientNoCache is set, a request with Cache-Control: no-cache
// or max-age=0 (or Pragma: no-cache) skips the lookup and its response
// replaces the entry; otherwise those directives are ignored.
func (c *Cache) Lookup(ctx *fasthttp.RequestCtx, p *Policy, key []byte) (Result, *Fill) {
	req := &ctx.Request
	head := req.Header.IsHead()
	if !head && !req.Header.IsGet() || mayBeConditional(req) && originConditional(req) {
		c.stats.bypasses.Add(1)
		return Bypass, nil
	}
	if p == nil {
		p = &zeroPolicy
	}
	rs := c.rule(p.Rule)
	gen, epoch := rs.gen.Load(), c.epoch.Load()
	now := c.nowNs()
	h := c.hashKey(p.Rule, key)

	if p.HonorClientNoCache && requestNoCache(req) {
		c.stats.misses.Add(1)
		return Miss, c.newFill(nil, 0, p, rs, key, h, gen, epoch, FwdRequest, head)
	}
	e, fh, fwd := c.find(req, rs, key, h, now, gen, epoch)
	if e != nil {
		if fwd == FwdStale {
			return c.lookupStale(ctx, p, rs, key, h, fh, gen, epoch, now, e, head)
		}
		c.stats.hits.Add(1)
		c.serve(ctx, e, now, "")
		return Hit, nil
	}
	return c.miss(ctx, p, rs, key, h, fh, gen, epoch, now, fwd, head)
}

// find looks key up in memory. It returns a response entry (with FwdStale
// when it is past its freshness), or nil with the Cache-Status fwd reason,
// and the hash the entry is under and a fill should collapse on.
func (c *Cache) find(req *fasthttp.Request, rs *ruleState, key []byte, h uint64, now int64, gen, epoch uint64) (*entry, uint64, Fwd) {
	e := c.getL1(h, rs, key, gen, epoch)
	if e == nil {
		return nil, h, FwdURIMiss
	}
	fh := h
	if e.kind == kindMarker {
		m := e
		fh = c.variantHash(h, m.vary, req)
		e = c.getL1(fh, rs, key, gen, epoch)
		if e == nil || e.markerID != m.markerID || !varyMatches(e, req) {
			return nil, fh, FwdVaryMiss
		}
	} else if len(e.vary) != 0 {
		return nil, fh, FwdURIMiss // a variant under the primary hash: a collision
	}
	if e.kind != kindResponse {
		return nil, fh, FwdURIMiss
	}
	if !e.fresh(now) {
		return e, fh, FwdStale
	}
	return e, fh, FwdUnknown
}

// variantHash extends the primary hash h with the request's values of the
// Vary header names.
func (c *Cache) variantHash(h uint64, names []field, req *fasthttp.Request) uint64 {
	var mh maphash.Hash
	mh.SetSeed(c.seed)
	var b [8]byte
	for i := range b {
		b[i] = byte(h >> (8 * i))
	}
	mh.Write(b[:])
	for i := range names {
		mh.WriteByte(0)
		mh.Write(req.Header.PeekBytes(names[i].name))
	}
	return mh.Sum64()
}

// varyMatches reports whether req carries the Vary values e was stored for.
func varyMatches(e *entry, req *fasthttp.Request) bool {
	for i := range e.vary {
		if !bytes.Equal(req.Header.PeekBytes(e.vary[i].name), e.vary[i].value) {
			return false
		}
	}
	return true
}

// requestNoCache reports Cache-Control: no-cache or max-age=0, or
// Pragma: no-cache without Cache-Control (RFC 9111 §5.2.1, §5.4).
func requestNoCache(req *fasthttp.Request) bool {
	if v := req.Header.PeekBytes(hdrCacheCtl); len(v) > 0 {
		if hasToken(v, ccNoCache) {
			return true
		}
		var cc cacheControl
		cc.reset()
		cc.parse(v)
		return cc.maxAge == 0
	}
	if v := req.Header.PeekBytes(hdrPragma); len(v) > 0 {
		return hasToken(v, ccNoCache)
	}
	return false
}

// serve writes e into ctx.Response. It does not allocate once the response's
// header buffers have grown (fasthttp reuses them across requests).
func (c *Cache) serve(ctx *fasthttp.RequestCtx, e *entry, now int64, detail string) {
	resp := &ctx.Response
	cond := mayBeConditional(&ctx.Request)
	if cond && notModified(&ctx.Request, e) {
		writeNotModified(resp, e) // the client's If-None-Match / If-Modified-Since
		c.noteServed(ctx, e)      // what the 200 would have carried (served.go)
	} else if !cond || !writeRange(ctx, e) { // a Range: 206 or 416 (ranges.go)
		resp.SetStatusCode(e.status)
		for i := range e.hdrs {
			resp.Header.AddBytesKV(e.hdrs[i].name, e.hdrs[i].value)
		}
		resp.SetBodyRaw(e.body) // entries are immutable: no copy needed
		if ctx.Request.Header.IsHead() {
			resp.SkipBody = true
		}
		c.noteServed(ctx, e) // its derived bodies (derived.go)
	}
	age := e.age0 + max(now-e.storedAt, 0)/int64(time.Second)
	var num [20]byte
	resp.Header.SetCanonical(hdrAge, strconv.AppendInt(num[:0], age, 10))
	resp.Header.SetCanonical(hdrXCache, valHit)
	var st [96]byte
	b := append(st[:0], cacheName+"; hit"...)
	if e.ttl > 0 {
		left := (e.storedAt + e.ttl - now) / int64(time.Second)
		b = append(b, "; ttl="...)
		b = strconv.AppendInt(b, max(left, 0), 10)
	}
	if detail != "" {
		b = append(b, "; detail="...)
		b = append(b, detail...)
	}
	resp.Header.SetCanonical(hdrCacheStatus, b)
}
