package compress

import "github.com/valyala/fasthttp"

// Stored is the response a 304 stands for, when it is known (a 304 the
// cache answers from a stored response): its status, header fields and
// body size.
type Stored interface {
	Fields
	Status() int
	Size() int
}

var hdrContentType = []byte(fasthttp.HeaderContentType)

// NotModified gives the 304 in h the fields of the stage that the 200 it
// stands for would have carried (RFC 9110 §15.4.5: a 304 carries the Vary
// and the ETag of that 200). Choose skips a 304: it has no body to encode,
// but a client or shared cache updates its stored response with the 304's
// fields, so a 304 lacking Vary: Accept-Encoding would unmark an encoded
// response as varying.
//
// With stored (a cache-answered 304) the decision is exact: Vary when the
// stored response is eligible, and the ETag weakened when this request
// would have got it in a coding (as Mark weakens the 200's). Without it (a
// backend's own 304, whose body and type are unknown) Vary is added unless
// the 304 itself says the answer is never transformed (Content-Encoding,
// Cache-Control: no-transform): a Vary too many only narrows reuse, one
// too few serves a coding to a client that cannot read it. The ETag is
// left as the backend sent it.
func (p *Policy) NotModified(req *fasthttp.Request, h *fasthttp.ResponseHeader, stored Stored) {
	if stored != nil {
		size := stored.Size()
		if !p.eligible(stored.Status(), stored, stored.PeekBytes(hdrContentType)) || size < p.minBytes || size == 0 {
			return
		}
	} else if !transformable(fasthttp.StatusOK, h) {
		return
	}
	AddVary(h)
	if stored == nil || req.Header.IsHead() || len(req.Header.PeekBytes(hdrRange)) > 0 ||
		p.Negotiate(req.Header.PeekBytes(hdrAcceptEncoding)) == Identity {
		return
	}
	weakenETag(h)
}
