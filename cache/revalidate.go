package cache

import (
	"bytes"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// Stale entries (RFC 9111 §4.2.4, §4.3; RFC 5861). A response past its
// freshness lifetime stays in the cache, bounded in time by staleKeep, so
// that it can be revalidated with a conditional request (a 304 refreshes
// it without a body), served while one background request refreshes it
// (stale-while-revalidate), or served when the backend fails
// (stale-if-error). The fresh-hit path never comes here.

const (
	// staleAtOnce is the ttl of a response stored already stale (no-cache,
	// max-age=0 with a validator): every use revalidates it first.
	staleAtOnce int64 = -1
	// staleKeepValidated is how long past its freshness an entry with a
	// validator is kept for revalidation (nginx's proxy_cache_path
	// inactive default is also 10 minutes).
	staleKeepValidated = 10 * time.Minute
	// maxStaleWindow caps stale-while-revalidate and stale-if-error, from
	// the response or the rule, so no entry outlives its use by more.
	maxStaleWindow = 24 * time.Hour
)

var (
	valStale       = []byte("STALE")
	valRevalidated = []byte("REVALIDATED")
)

// Reval is what a revalidation came to: the dashboard counts it per rule.
// Its String is the counter's label.
type Reval uint8

// Revalidation outcomes.
const (
	RevalNone        Reval = iota // no stored response was involved
	RevalNotModified              // 304: the stored response was refreshed and served
	RevalModified                 // a new response replaced the stale one
	RevalStaleError               // the backend failed or answered 5xx: the stale response was served (stale-if-error)
	RevalFailed                   // the backend failed or answered 5xx and the stale response could not be served
	RevalStaleServed              // a stale response was served while one background request refreshes it
	numReval
)

var revalNames = [numReval]string{
	RevalNone:        "none",
	RevalNotModified: "not-modified",
	RevalModified:    "modified",
	RevalStaleError:  "stale-if-error",
	RevalFailed:      "failed",
	RevalStaleServed: "stale-while-revalidate",
}

// String returns the outcome's label, e.g. "not-modified"; "unknown" out of
// range.
func (r Reval) String() string {
	if r < numReval {
		return revalNames[r]
	}
	return "unknown"
}

// staleUse is what a stale entry still allows, from its stored
// Cache-Control and the rule's defaults. Windows are in ns past freshness.
type staleUse struct {
	swr, sie   int64
	validators bool
}

// keep is how long past its freshness the entry is of any use.
func (u staleUse) keep() int64 {
	k := max(u.swr, u.sie)
	if u.validators {
		k = max(k, int64(staleKeepValidated))
	}
	return k
}

// staleDirectives are a stored response's own directives on serving it
// stale, read once when it is stored from the Cache-Control that applies
// to this cache: the targeted field's when it has one (RFC 9213 §2.1),
// which is not stored with the response.
type staleDirectives struct {
	swr, sie int32 // stale-while-revalidate, stale-if-error: seconds, -1 = absent
	flags    byte
}

const (
	// sdNoStale: no-cache, must-revalidate or proxy-revalidate forbid
	// serving it stale (RFC 9111 §4.2.4).
	sdNoStale byte = 1 << iota
	// sdStrict: s-maxage, which implies proxy-revalidate (§5.2.2.10), so
	// the rule's defaults do not apply; a stale-* directive stated with it
	// does.
	sdStrict
)

func staleDirectivesOf(cc *cacheControl) staleDirectives {
	sd := staleDirectives{swr: staleSeconds(cc.staleWhileRevalidate), sie: staleSeconds(cc.staleIfError)}
	if cc.noCache || cc.mustRevalidate || cc.proxyRevalidate {
		sd.flags |= sdNoStale
	}
	if cc.sMaxAge >= 0 {
		sd.flags |= sdStrict
	}
	return sd
}

// staleSeconds narrows a directive to the entry's field: -1 stays absent,
// anything past maxStaleWindow is capped there.
func staleSeconds(d int64) int32 {
	if d < 0 {
		return -1
	}
	return int32(min(d, int64(maxStaleWindow/time.Second)))
}

// staleUseOf is what e still allows, from its stored directives, its
// validators and the rule's defaults.
func staleUseOf(e *entry, p *Policy) staleUse {
	var u staleUse
	for i := range e.hdrs {
		if n := e.hdrs[i].name; bytes.EqualFold(n, hdrETag) || bytes.EqualFold(n, hdrLastModified) {
			u.validators = true
		}
	}
	if e.sd.flags&sdNoStale != 0 {
		return u
	}
	strict := e.sd.flags&sdStrict != 0
	u.swr = staleWindow(int64(e.sd.swr), p.StaleWhileRevalidate, strict)
	u.sie = staleWindow(int64(e.sd.sie), p.StaleIfError, strict)
	return u
}

func staleWindow(directive int64, dflt float64, strict bool) int64 {
	var d int64
	switch {
	case directive >= 0:
		d = directive * int64(time.Second)
	case !strict:
		d = int64(dflt * float64(time.Second))
	}
	return min(d, int64(maxStaleWindow))
}

// staleFor is how long e has been stale at now (ns, ≥ 0 once stale).
func (e *entry) staleFor(now int64) int64 {
	return now - e.storedAt - max(e.ttl, 0)
}

// hasValidator reports whether resp carries an ETag or Last-Modified.
func hasValidator(resp *fasthttp.Response) bool {
	return len(resp.Header.PeekBytes(hdrETag)) > 0 || len(resp.Header.PeekBytes(hdrLastModified)) > 0
}

// lookupStale handles a request whose entry e (stored under sh) is stale:
// serve it while one background request refreshes it
// (stale-while-revalidate), or forward the request, conditional when e has
// validators, with a Fill that can take a 304 or fall back to e on an error.
func (c *Cache) lookupStale(ctx *fasthttp.RequestCtx, p *Policy, rs *ruleState, key []byte, h, sh uint64, gen, epoch uint64, now int64, e *entry, head bool) (Result, *Fill) {
	u := staleUseOf(e, p)
	age := e.staleFor(now)
	if age >= u.keep() {
		return c.miss(ctx, p, rs, key, h, sh, gen, epoch, now, FwdStale, head)
	}
	if !head && age < u.swr {
		c.mu.Lock()
		fl := c.flights[sh]
		if fl != nil && time.Since(fl.started) <= c.lockTimeout {
			c.mu.Unlock() // a refresh is running: serve stale, do not wait
			c.stats.hits.Add(1)
			c.stats.reval[RevalStaleServed].Add(1)
			c.serveStale(ctx, e, now, "stale-while-revalidate", 0)
			return Refresh, nil
		}
		fl = &flight{done: make(chan struct{}), started: time.Now()}
		c.flights[sh] = fl
		c.mu.Unlock()
		c.stats.hits.Add(1)
		c.stats.reval[RevalStaleServed].Add(1)
		c.serveStale(ctx, e, now, "stale-while-revalidate", 0)
		f := c.newFill(fl, sh, p, rs, key, h, gen, epoch, FwdStale, false)
		f.stale, f.sh, f.cond, f.background = e, sh, u.validators, true
		return Refresh, f
	}
	res, f := c.miss(ctx, p, rs, key, h, sh, gen, epoch, now, FwdStale, head)
	if res == Miss {
		c.attachStale(&ctx.Request, f, e, h, now)
	}
	return res, f
}

// attachStale gives f the stale entry e (nil: none) while it is of use:
// the request is made conditional on its validators, and Done can take a
// 304 or fall back to it on an error. A Fill takes one stale entry, the
// first offered.
func (c *Cache) attachStale(req *fasthttp.Request, f *Fill, e *entry, h uint64, now int64) {
	if e == nil || f.stale != nil {
		return
	}
	u := staleUseOf(e, f.pol)
	if e.staleFor(now) >= u.keep() {
		return
	}
	f.stale, f.sh, f.sie = e, h, u.sie
	if len(e.vary) > 0 {
		f.sh = c.variantHash(h, e.vary, req)
	}
	if u.validators && !req.IsBodyStream() { // Unselected may need to send it again
		f.condition(req)
	}
}

// Prepare readies the request of a background refresh (Lookup returned
// Refresh): conditional with the stale entry's validators, without the
// client's own preconditions and Range. req is a copy of the client's
// request, which the gateway forwards itself.
func (f *Fill) Prepare(req *fasthttp.Request) {
	if f == nil || f.stale == nil {
		return
	}
	for _, n := range clientConditions {
		req.Header.DelBytes(n)
	}
	if f.cond {
		setConditions(req, f.stale, f.marker)
	}
}

// Conditional reports whether f's request carries the cache's own
// validators (a revalidation). The caller keeps a copy of that request
// before forwarding it, for Unselected.
func (f *Fill) Conditional() bool { return f != nil && f.cond }

// Unselected handles a 304 to the cache's own conditions that selects no
// stored response (RFC 9111 §4.3.4: its strong ETag is not the stored one,
// or its validators differ), nor any other variant stored for the URI
// (variants.go). Such an answer must not refresh the entry, and
// the client did not ask for a 304 from the cache's validators: Unselected
// readies req, a copy of the request as it was before it went out, to be
// sent again without them (the client's own conditions back, or none for a
// background refresh) and reports true; the caller forwards it and calls
// Done on that answer. Otherwise it reports false and changes nothing.
func (f *Fill) Unselected(req *fasthttp.Request, resp *fasthttp.Response) bool {
	if !f.Conditional() || resp.StatusCode() != fasthttp.StatusNotModified || f.stale != nil && selects(resp, f.stale) {
		return false
	}
	if v, vh := f.c.selectVariant(f, resp); v != nil {
		f.stale, f.sh = v, vh // another variant is this request's representation
		return false
	}
	f.cond = false
	if f.background {
		req.Header.DelBytes(hdrIfNoneMatch)
		req.Header.DelBytes(hdrIfModifiedSince)
	} else {
		f.restoreConditions(req)
	}
	return true
}

// selects reports whether a 304 identifies e as the response to update
// (RFC 9111 §4.3.4): a strong ETag must be e's (strong comparison), a weak
// one must match e's weakly; without an ETag a Last-Modified must be e's
// when e has one. A 304 with no validator at all selects e, the one stored
// response the cache asked about.
func selects(resp *fasthttp.Response, e *entry) bool {
	var tag, lm []byte
	for i := range e.hdrs {
		switch n := e.hdrs[i].name; {
		case bytes.EqualFold(n, hdrETag):
			tag = bytes.TrimSpace(e.hdrs[i].value)
		case bytes.EqualFold(n, hdrLastModified):
			lm = e.hdrs[i].value
		}
	}
	if got := bytes.TrimSpace(resp.Header.PeekBytes(hdrETag)); len(got) > 0 {
		if len(got) >= 2 && got[0] == 'W' && got[1] == '/' {
			return etagListMatches(got, tag) // weak: the opaque tags match
		}
		return bytes.Equal(got, tag) // strong: byte for byte, W/ included
	}
	if got := resp.Header.PeekBytes(hdrLastModified); len(got) > 0 && len(lm) > 0 {
		return bytes.Equal(got, lm)
	}
	return true
}

// clientConditions are the request fields a background refresh drops: it
// asks for the whole current representation, not what one client held.
var clientConditions = [][]byte{
	hdrIfNoneMatch, hdrIfModifiedSince, hdrIfMatch, hdrIfUnmodifiedSince,
	[]byte(fasthttp.HeaderIfRange), []byte(fasthttp.HeaderRange),
}

// setConditions makes req conditional (§4.3.1): the stale entry e's ETags
// and those of the variants marker m lists (either may be nil) in
// If-None-Match, e's Last-Modified in If-Modified-Since.
func setConditions(req *fasthttp.Request, e, m *entry) {
	req.Header.DelBytes(hdrIfNoneMatch)
	req.Header.DelBytes(hdrIfModifiedSince)
	var tags []byte
	add := func(t []byte) {
		if len(tags) > 0 {
			if bytes.Contains(tags, t) {
				return
			}
			tags = append(tags, ", "...)
		}
		tags = append(tags, t...)
	}
	if e != nil {
		for i := range e.hdrs {
			n, v := e.hdrs[i].name, e.hdrs[i].value
			switch {
			case bytes.EqualFold(n, hdrETag):
				add(v)
			case bytes.EqualFold(n, hdrLastModified):
				req.Header.SetBytesKV(hdrIfModifiedSince, v)
			}
		}
	}
	if m != nil {
		for _, t := range m.hdrs {
			add(t.value)
		}
	}
	if len(tags) > 0 {
		req.Header.SetBytesKV(hdrIfNoneMatch, tags)
	}
}

// saveConditions keeps the client's If-None-Match and If-Modified-Since,
// which the revalidation replaces on the forwarded request, so Done can
// put them back for whatever answers the client's own conditions.
func (f *Fill) saveConditions(req *fasthttp.Request) {
	f.clientINM = append([]byte(nil), req.Header.PeekBytes(hdrIfNoneMatch)...)
	f.clientIMS = append([]byte(nil), req.Header.PeekBytes(hdrIfModifiedSince)...)
}

func (f *Fill) restoreConditions(req *fasthttp.Request) {
	req.Header.DelBytes(hdrIfNoneMatch)
	req.Header.DelBytes(hdrIfModifiedSince)
	if len(f.clientINM) > 0 {
		req.Header.SetBytesKV(hdrIfNoneMatch, f.clientINM)
	}
	if len(f.clientIMS) > 0 {
		req.Header.SetBytesKV(hdrIfModifiedSince, f.clientIMS)
	}
}

// settle handles the backend's answer to a request that had a stale entry:
// a 304 to the cache's own conditions (or, for a HEAD, a 200 with the same
// validators, §4.3.5) becomes the stored response with the new header
// fields (§3.2) in ctx.Response, to be stored as usual; a 5xx within
// stale-if-error is replaced by the stale response.
func (f *Fill) settle(ctx *fasthttp.RequestCtx, now int64) Reval {
	resp := &ctx.Response
	if f.cond && !f.background {
		f.restoreConditions(&ctx.Request)
	}
	status := resp.StatusCode()
	switch {
	case status == fasthttp.StatusNotModified && f.cond:
		f.merge(resp)
		return RevalNotModified
	case status == fasthttp.StatusNotModified:
		return RevalNone // the answer to the client's own conditions, passed on
	case f.head && status == f.stale.status && sameValidators(resp, f.stale):
		f.merge(resp)
		return RevalNotModified
	case status >= 500:
		if !f.background && f.stale.staleFor(now) < f.sie {
			return RevalStaleError
		}
		return RevalFailed
	case f.head:
		// The representation changed under a HEAD: its body is not here to
		// store, so the old one must not be served again.
		f.c.l1.Del(f.sh)
	}
	return RevalModified
}

// merge rebuilds resp as the stale entry with resp's header fields added,
// replacing stored ones of the same name (§3.2), except those describing
// the stored body. The body stays the entry's (immutable, not copied).
func (f *Fill) merge(resp *fasthttp.Response) {
	e := f.stale
	var upd fasthttp.ResponseHeader
	resp.Header.CopyTo(&upd)
	resp.Reset()
	resp.SetStatusCode(e.status)
	for i := range e.hdrs {
		n := e.hdrs[i].name
		if !keepStored(n) && len(upd.PeekBytes(n)) > 0 {
			continue
		}
		resp.Header.AddBytesKV(n, e.hdrs[i].value)
	}
	for k, v := range upd.All() {
		if keepStored(k) || bytes.EqualFold(k, hdrXCache) || bytes.EqualFold(k, hdrCacheStatus) {
			continue
		}
		resp.Header.AddBytesKV(k, v)
	}
	resp.SetBodyRaw(e.body)
	f.head = false // the merged response is whole: it refreshes the GET entry
}

// keepStored names the fields a 304 does not update: those describing
// the stored body and its framing.
func keepStored(n []byte) bool {
	for _, s := range bodyFields {
		if bytes.EqualFold(n, s) {
			return true
		}
	}
	return false
}

var bodyFields = [][]byte{
	[]byte(fasthttp.HeaderContentLength), []byte(fasthttp.HeaderContentType),
	[]byte(fasthttp.HeaderContentEncoding), hdrContentRange,
	[]byte(fasthttp.HeaderTransferEncoding), []byte(fasthttp.HeaderConnection),
}

// sameValidators reports whether resp carries e's strong validators: the
// same ETag, or without ETags the same Last-Modified (§4.3.5).
func sameValidators(resp *fasthttp.Response, e *entry) bool {
	var tag, lm []byte
	for i := range e.hdrs {
		switch n := e.hdrs[i].name; {
		case bytes.EqualFold(n, hdrETag):
			tag = e.hdrs[i].value
		case bytes.EqualFold(n, hdrLastModified):
			lm = e.hdrs[i].value
		}
	}
	if len(tag) > 0 {
		return bytes.Equal(resp.Header.PeekBytes(hdrETag), tag)
	}
	return len(lm) > 0 && bytes.Equal(resp.Header.PeekBytes(hdrLastModified), lm)
}

// serveStale writes the stale e into ctx with X-Cache: STALE and a
// Cache-Status saying why (fwdStatus 0: nothing was forwarded).
func (c *Cache) serveStale(ctx *fasthttp.RequestCtx, e *entry, now int64, detail string, fwdStatus int) {
	c.serve(ctx, e, now, "")
	var st [128]byte
	b := append(st[:0], cacheName+"; hit; fwd=stale"...)
	if fwdStatus != 0 {
		b = append(b, "; fwd-status="...)
		b = strconv.AppendInt(b, int64(fwdStatus), 10)
	}
	b = append(b, "; ttl="...)
	b = strconv.AppendInt(b, -e.staleFor(now)/int64(time.Second), 10)
	b = append(b, "; detail="...)
	b = append(b, detail...)
	ctx.Response.Header.SetCanonical(hdrCacheStatus, b)
	ctx.Response.Header.SetCanonical(hdrXCache, valStale)
}
