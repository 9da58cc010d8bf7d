package cache

import (
	"bytes"
	"math/rand/v2"
	"slices"

	"github.com/valyala/fasthttp"
)

// maxVary is the most request headers a stored response may vary on.
const maxVary = 8

// storableStatus lists the statuses stored (RFC 9110 §15.1's heuristically
// cacheable codes, less 206 which is partial, and 405/414/501).
func storableStatus(s int) bool {
	switch s {
	case 200, 203, 204, 300, 301, 308, 404, 410:
		return true
	}
	return false
}

// unreplayable lists response headers never stored: hop-by-hop ones (RFC
// 9110 §7.6.1), Set-Cookie, Content-Length (the server computes it) and
// those the cache sets itself. Date is stored as the backend sent it.
var unreplayable = [][]byte{
	[]byte("Connection"), []byte("Keep-Alive"), []byte("Proxy-Authenticate"),
	[]byte("Proxy-Authorization"), []byte("Proxy-Connection"), []byte("TE"),
	[]byte("Trailer"), []byte("Transfer-Encoding"), []byte("Upgrade"),
	[]byte("Set-Cookie"), []byte("Content-Length"),
	hdrAge, hdrXCache, hdrCacheStatus,
}

var (
	hdrVary         = []byte(fasthttp.HeaderVary)
	hdrContentRange = []byte(fasthttp.HeaderContentRange)
	hdrCookie       = []byte(fasthttp.HeaderCookie)
	hdrConnection   = []byte(fasthttp.HeaderConnection)
	star            = []byte("*")
)

// store decides whether ctx.Response may be stored and stores it.
func (c *Cache) store(ctx *fasthttp.RequestCtx, f *Fill, now int64) (*entry, Reason) {
	req, resp := &ctx.Request, &ctx.Response
	reason, fr, vary := c.storable(req, resp, f, now)
	if reason != stored {
		return nil, reason
	}
	body := resp.Body()
	if int64(len(body)) > c.cfg.MaxEntryBytes {
		return nil, ReasonTooLarge
	}
	p := entryParts{
		kind: kindResponse, status: resp.StatusCode(), storedAt: fr.storedAt, ttl: fr.ttl,
		age0: fr.age0, sd: fr.stale, key: f.key, hdrs: c.replayable(resp), body: body,
	}
	if len(vary) == 0 {
		e := encodeEntry(&p)
		if e == nil {
			return nil, ReasonTooLarge
		}
		c.keep(f.h, e, f)
		return e, stored
	}
	// A Vary response is stored twice: a marker under the key naming the
	// headers, and the response under the key extended by their values.
	names := make([]field, len(vary))
	for i, n := range vary {
		names[i].name = n
	}
	markerID := rand.Uint64()
	old := c.getL1(f.h, f.rs, f.key, f.gen, f.epoch)
	if old != nil && old.kind == kindMarker && sameNames(old.vary, names) {
		markerID = old.markerID // keep the variants stored under it
	} else {
		old = nil
	}
	vh := c.variantHash(f.h, names, req)
	m := encodeEntry(&entryParts{kind: kindMarker, storedAt: fr.storedAt, key: f.key, vary: names, markerID: markerID,
		hdrs: variantTags(old, vh, bytes.TrimSpace(resp.Header.PeekBytes(hdrETag)))})
	p.markerID = markerID
	p.vary = make([]field, len(vary))
	for i, n := range vary {
		p.vary[i] = field{name: n, value: req.Header.PeekBytes(n)}
	}
	e := encodeEntry(&p)
	if m == nil || e == nil {
		return nil, ReasonTooLarge
	}
	c.keep(f.h, m, f)
	c.keep(vh, e, f)
	return e, stored
}

// keep stamps e with f's namespace and offers it to both tiers.
func (c *Cache) keep(h uint64, e *entry, f *Fill) {
	e.rs, e.gen, e.epoch = f.rs, f.gen, f.epoch
	if e.kind == kindResponse && e.ttl != 0 {
		e.staleKeep = staleUseOf(e, f.pol).keep()
	}
	c.setL1(h, e)
	if c.l2 != nil {
		c.l2.enqueue(e, f.gen, f.epoch)
	}
}

var (
	hdrDate    = []byte(fasthttp.HeaderDate)
	hdrExpires = []byte(fasthttp.HeaderExpires)
)

// storable applies the storage rules to a complete backend response that
// arrived at now. It returns the entry's freshness (freshFor) and the Vary
// names.
func (c *Cache) storable(req *fasthttp.Request, resp *fasthttp.Response, f *Fill, now int64) (r Reason, fr freshness, vary [][]byte) {
	if f.head {
		return ReasonHead, fr, nil
	}
	if cl := req.Header.ContentLength(); cl > 0 || cl == -1 {
		return ReasonBody, fr, nil // a "fat GET": the key does not cover the body
	}
	var reqCC cacheControl
	reqCC.reset()
	reqCC.parse(req.Header.PeekBytes(hdrCacheCtl))
	if reqCC.noStore {
		return ReasonNoStore, fr, nil
	}
	if resp.IsBodyStream() {
		if f.overBudget {
			return ReasonMemoryBudget, fr, nil
		}
		return ReasonStreamed, fr, nil
	}
	status := resp.StatusCode()
	if status == fasthttp.StatusPartialContent || len(resp.Header.PeekBytes(hdrContentRange)) > 0 {
		return ReasonPartial, fr, nil
	}
	if !storableStatus(status) {
		return ReasonStatus, fr, nil
	}
	if hasCookies(resp) {
		return ReasonSetCookie, fr, nil
	}
	var cc cacheControl
	cc.reset()
	var tc targetedCC
	in := freshInputs{cc: &cc}
	for k, v := range resp.Header.All() {
		switch {
		case bytes.EqualFold(k, hdrCacheCtl):
			cc.parse(v)
		case tc.add(&c.targeting, k, v):
		case bytes.EqualFold(k, hdrVary):
			vary = appendVary(vary, v)
		case bytes.EqualFold(k, hdrAge):
			in.age = deltaSeconds(bytes.TrimSpace(v))
		case bytes.EqualFold(k, hdrDate):
			in.date = v
		case bytes.EqualFold(k, hdrExpires):
			in.expires, in.hasExpires = bytes.TrimSpace(v), true
		case bytes.EqualFold(k, hdrLastModified):
			in.lastModified = bytes.TrimSpace(v)
		}
	}
	if t := tc.pick(); t != nil {
		// RFC 9213 §2.1: the targeted field replaces Cache-Control and
		// Expires for this cache.
		cc, in.hasExpires = *t, false
	}
	vary = normalVary(vary)
	switch {
	case cc.noStore:
		return ReasonNoStore, fr, nil
	case cc.private:
		return ReasonPrivate, fr, nil
	case cc.noCache && !hasValidator(resp):
		return ReasonNoCache, fr, nil // it could never be used
	case len(req.Header.PeekBytes(hdrAuth)) > 0 && !cc.public && cc.sMaxAge < 0 && !cc.mustRevalidate:
		return ReasonAuth, fr, nil
	case len(req.Header.PeekBytes(hdrCookie)) > 0 && !cc.public && cc.sMaxAge < 0 && !cc.mustRevalidate:
		// A credential like Authorization: a logged-in page (web cache
		// deception: /account/x.css) must not reach anonymous clients.
		return ReasonCookie, fr, nil
	}
	for _, n := range vary {
		if bytes.Equal(n, star) {
			return ReasonVaryStar, fr, nil
		}
	}
	if len(vary) > maxVary {
		return ReasonVaryLimit, fr, nil
	}
	if int64(resp.Header.ContentLength()) > c.cfg.MaxEntryBytes {
		return ReasonTooLarge, fr, nil
	}
	fr, ok := freshFor(&in, f.ttl, f.reqAt, now)
	fr.stale = staleDirectivesOf(&cc) // the targeted field's when it applies
	if cc.noCache {
		fr.ttl, ok = staleAtOnce, true // stored to be revalidated on every use (§5.2.2.4)
	}
	if !ok {
		return ReasonNoFreshness, fr, nil
	}
	if fr.ttl <= 0 {
		if !hasValidator(resp) {
			return ReasonExpired, fr, nil
		}
		fr.ttl = staleAtOnce // kept to be revalidated
	}
	return stored, fr, vary
}

// appendVary appends the header names listed in one Vary value, copied
// in canonical form (Accept-Encoding).
func appendVary(dst [][]byte, v []byte) [][]byte {
	for len(v) > 0 {
		var n []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			n, v = v[:i], v[i+1:]
		} else {
			n, v = v, nil
		}
		if n = bytes.TrimSpace(n); len(n) > 0 {
			dst = append(dst, canonicalName(append([]byte(nil), n...)))
		}
	}
	return dst
}

// normalVary sorts and deduplicates canonical Vary names. Field names are
// case-insensitive and Vary is a set (RFC 9110 §12.5.5), so `Accept,
// accept-language` and `Accept-Language, ACCEPT, Accept` name the same
// variants: normalised, a refill with another spelling keeps the marker
// and the variants stored under it, and a repeated name counts once
// towards maxVary.
func normalVary(names [][]byte) [][]byte {
	slices.SortFunc(names, bytes.Compare)
	return slices.CompactFunc(names, bytes.Equal)
}

// canonicalName rewrites a field name in place to the form fasthttp uses
// (first letter and each letter after '-' upper case, the rest lower).
func canonicalName(n []byte) []byte {
	up := true
	for i, c := range n {
		switch {
		case up && 'a' <= c && c <= 'z':
			n[i] = c - 'a' + 'A'
		case !up && 'A' <= c && c <= 'Z':
			n[i] = c - 'A' + 'a'
		}
		up = c == '-'
	}
	return n
}

// sameNames reports whether two Vary name lists are equal (case-insensitive).
func sameNames(a, b []field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.EqualFold(a[i].name, b[i].name) {
			return false
		}
	}
	return true
}

// replayable returns the response headers safe to send to other clients,
// without the targeted fields addressed to this cache. The views point
// into resp and are copied by encodeEntry.
func (c *Cache) replayable(resp *fasthttp.Response) []field {
	c.targeting.strip(resp)
	conn := resp.Header.PeekBytes(hdrConnection)
	var out []field
	for k, v := range resp.Header.All() {
		if skipHeader(k) || (len(conn) > 0 && hasToken(conn, k)) {
			continue
		}
		out = append(out, field{name: k, value: v})
	}
	return out
}

func skipHeader(k []byte) bool {
	for _, s := range unreplayable {
		if bytes.EqualFold(k, s) {
			return true
		}
	}
	return false
}

func hasCookies(resp *fasthttp.Response) bool {
	n := 0
	resp.Header.Cookies()(func(_, _ []byte) bool { n++; return false })
	return n > 0
}
