package proxy

import (
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/compress"
	"github.com/premier-gateway/premier/proxy/metrics"
)

// compressResponse is the compression stage, after the response headers
// and before the statistics: the answer in ctx goes out in the coding the
// client prefers among the rule's (compress.Policy.Choose decides, and adds
// Vary: Accept-Encoding to every eligible answer).
//
// With the cache, the entry stays the backend's identity bytes and each
// coding's encoding is kept with it (cache.Cache.KeepDerived): the miss
// that stores the entry encodes it once for its client's coding, the first
// hit in another coding encodes it once, and every later hit is served
// those bytes without encoding or allocating. A body held in memory is
// encoded whole into a pooled buffer; a streamed one is encoded as it is
// written (compress.Policy.Stream).
func (g *Gateway) compressResponse(ctx *fasthttp.RequestCtx, p *compress.Policy, s *scratch) {
	if ctx.Hijacked() {
		return // a close-delimited 1.0 stream already owns the connection
	}
	resp := &ctx.Response
	if resp.StatusCode() == fasthttp.StatusNotModified {
		g.notModifiedFields(ctx, p, s)
		return
	}
	c := p.Choose(&ctx.Request, resp)
	if c == compress.Identity {
		return
	}
	if resp.IsBodyStream() {
		// An encoded stream has no length: an HTTP/1.0 client, which
		// cannot read chunked, gets the stream as it is (its known length).
		if !s.http10 {
			p.Stream(resp, c)
		}
		return
	}
	cached := s.obs.Cache == metrics.CacheHit || s.obs.Cache == metrics.CacheMiss
	if cached {
		if b := g.cache.Derived(ctx, int(c)); b != nil {
			resp.SetBodyRaw(b) // kept with the entry, immutable: no copy
			compress.Mark(&resp.Header, c)
			return
		}
	}
	body := resp.Body()
	zb := encodeBufs.Get().(*encodeBuf)
	zb.b = p.AppendEncoded(zb.b[:0], body, c)
	if len(zb.b) < len(body) { // else identity: the coding would not shrink it
		if cached {
			g.cache.KeepDerived(ctx, int(c), zb.b)
		}
		resp.SetBody(zb.b)
		compress.Mark(&resp.Header, c)
	}
	if cap(zb.b) > maxPooledEncode {
		zb.b = nil // one huge body does not stay pooled
	}
	encodeBufs.Put(zb)
}

// notModifiedFields gives a 304 the Vary (and weakened ETag) the 200 it
// stands for would have carried (compress.Policy.NotModified): decided
// from the stored response when the cache answered, conservatively from
// the 304 alone when the backend did.
func (g *Gateway) notModifiedFields(ctx *fasthttp.RequestCtx, p *compress.Policy, s *scratch) {
	if s.obs.Cache == metrics.CacheHit || s.obs.Cache == metrics.CacheMiss {
		if st, ok := g.cache.Served(ctx); ok {
			p.NotModified(&ctx.Request, &ctx.Response.Header, st)
			return
		}
	}
	p.NotModified(&ctx.Request, &ctx.Response.Header, nil)
}

// encodeBuf is a pooled buffer a body held in memory is encoded into
// before the response copies it.
type encodeBuf struct{ b []byte }

var encodeBufs = sync.Pool{New: func() any { return &encodeBuf{b: make([]byte, 0, 16<<10)} }}

// maxPooledEncode is the largest encode buffer kept in the pool.
const maxPooledEncode = 1 << 20
