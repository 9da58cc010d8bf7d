package compress

import (
	"bytes"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/ascii"
)

// Policy is a compiled `compression` block.
type Policy struct {
	order    [numCodings - 1]Coding
	n        int
	minBytes int
	exact    [][]byte // "application/json"
	whole    [][]byte // "text/" from "text/*"
	enc      [numCodings]*encoders
}

// New compiles c (validated). It returns nil when c offers no coding.
func New(c *Config) *Policy {
	if !c.Enabled() {
		return nil
	}
	p := &Policy{minBytes: c.MinBytes}
	for _, a := range c.Algorithms {
		k := codingByName(a)
		p.order[p.n] = k
		p.n++
		p.enc[k] = encodersFor(k, c.Levels)
	}
	for _, t := range c.Types {
		typ, sub, err := parseType(t)
		if err != nil {
			continue // Validate refused it already
		}
		if sub == "*" {
			p.whole = append(p.whole, []byte(typ+"/"))
		} else {
			p.exact = append(p.exact, []byte(typ+"/"+sub))
		}
	}
	return p
}

var (
	hdrAcceptEncoding  = []byte(fasthttp.HeaderAcceptEncoding)
	hdrContentEncoding = []byte(fasthttp.HeaderContentEncoding)
	hdrContentRange    = []byte(fasthttp.HeaderContentRange)
	hdrCacheControl    = []byte(fasthttp.HeaderCacheControl)
	hdrVary            = []byte(fasthttp.HeaderVary)
	hdrETag            = []byte(fasthttp.HeaderETag)
	hdrAcceptRanges    = []byte(fasthttp.HeaderAcceptRanges)
	hdrRange           = []byte(fasthttp.HeaderRange)
	valAcceptEncoding  = []byte("Accept-Encoding")
	valVaryAE          = []byte(", Accept-Encoding")
)

// Choose is the stage's decision for the answer in ctx: whether it is
// eligible (then it has got Vary: Accept-Encoding) and, if so, the coding
// the client gets (Identity for a HEAD, a request with Range, or a client
// accepting none of the policy's codings).
func (p *Policy) Choose(req *fasthttp.Request, resp *fasthttp.Response) Coding {
	if !p.Applies(resp) {
		return Identity
	}
	AddVary(&resp.Header)
	if req.Header.IsHead() || len(req.Header.PeekBytes(hdrRange)) > 0 {
		return Identity
	}
	return p.Negotiate(req.Header.PeekBytes(hdrAcceptEncoding))
}

// Applies reports whether resp may be compressed: a status with content,
// not already encoded, not a part, not no-transform, a listed type, and not
// smaller than min_bytes when its size is known.
func (p *Policy) Applies(resp *fasthttp.Response) bool {
	h := &resp.Header
	if !p.eligible(resp.StatusCode(), h, h.ContentType()) {
		return false
	}
	if resp.IsBodyStream() { // (Body would read it whole)
		size := h.ContentLength() // < 0: chunked or close-delimited, unknown
		return size < 0 || size >= p.minBytes && size > 0
	}
	size := len(resp.Body())
	return size >= p.minBytes && size > 0
}

// Fields is a response's header fields by name: a *fasthttp.ResponseHeader,
// or a stored response's (cache.Stored).
type Fields interface {
	PeekBytes(name []byte) []byte
}

// eligible is Applies less the size: transformable, and ct (the
// Content-Type) listed.
func (p *Policy) eligible(status int, h Fields, ct []byte) bool {
	return transformable(status, h) && p.typeListed(ct)
}

// transformable reports a status with content whose fields in h let it be
// encoded: not already encoded, not a part, not no-transform.
func transformable(status int, h Fields) bool {
	switch {
	case status < 200, status == fasthttp.StatusNoContent, status == fasthttp.StatusPartialContent,
		status == fasthttp.StatusNotModified:
		return false
	}
	if len(h.PeekBytes(hdrContentEncoding)) > 0 || len(h.PeekBytes(hdrContentRange)) > 0 {
		return false
	}
	if cc := h.PeekBytes(hdrCacheControl); len(cc) > 0 && hasToken(cc, "no-transform") {
		return false
	}
	return true
}

// typeListed reports whether the media type of a Content-Type value is
// one of the policy's types.
func (p *Policy) typeListed(ct []byte) bool {
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = ascii.TrimOWS(ct)
	for _, w := range p.whole {
		if len(ct) > len(w) && ascii.EqualFold(ct[:len(w)], string(w)) {
			return true
		}
	}
	for _, e := range p.exact {
		if len(ct) == len(e) && ascii.EqualFold(ct, string(e)) {
			return true
		}
	}
	return false
}

// AddVary adds Accept-Encoding to the response's Vary, unless it is there
// already or Vary is "*".
func AddVary(h *fasthttp.ResponseHeader) {
	v := h.PeekBytes(hdrVary)
	if len(v) == 0 {
		h.SetCanonical(hdrVary, valAcceptEncoding)
		return
	}
	if hasToken(v, "accept-encoding") || hasToken(v, "*") {
		return
	}
	// Several Vary lines: the first one extended is the same list.
	var buf [256]byte
	b := append(append(buf[:0], v...), valVaryAE...)
	h.SetCanonical(hdrVary, b)
}

// Mark gives resp the header of its body in coding c: Content-Encoding,
// its strong ETag made weak (the encoded bytes are not the backend's, RFC
// 9110 §8.8.1), and no Accept-Ranges (ranges of the encoded form are not
// offered).
func Mark(h *fasthttp.ResponseHeader, c Coding) {
	h.SetCanonical(hdrContentEncoding, codingTokens[c])
	h.DelBytes(hdrAcceptRanges)
	weakenETag(h)
}

// weakenETag makes a strong ETag in h weak.
func weakenETag(h *fasthttp.ResponseHeader) {
	if et := h.PeekBytes(hdrETag); len(et) > 0 && et[0] == '"' {
		var buf [258]byte
		if len(et) <= len(buf)-2 {
			h.SetBytesKV(hdrETag, append(append(buf[:0], 'W', '/'), et...))
		} else {
			h.DelBytes(hdrETag) // too long to weaken in place: no validator rather than a false strong one
		}
	}
}

var codingTokens = [numCodings][]byte{nil, []byte("zstd"), []byte("br"), []byte("gzip")}

// hasToken reports whether the comma-separated list v holds tok (lower
// case) as a member or a member's name before '=' or ';'.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var m []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			m, v = v[:i], v[i+1:]
		} else {
			m, v = v, nil
		}
		m = ascii.TrimOWS(m)
		if i := bytes.IndexAny(m, "=;"); i >= 0 {
			m = ascii.TrimOWS(m[:i])
		}
		if ascii.EqualFold(m, tok) {
			return true
		}
	}
	return false
}
