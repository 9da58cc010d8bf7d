package cache

import "github.com/valyala/fasthttp"

// DetailRepeatedQuery is the Cache-Status detail of a request forwarded
// around the cache because a query parameter its key names was repeated.
const DetailRepeatedQuery = "repeated-query"

var valBypass = []byte(cacheName + "; fwd=bypass; detail=")

// Skipped records a request the caller forwarded around the cache, neither
// looked up nor stored, and says so in ctx.Response: X-Cache: MISS and
// `Cache-Status: premier; fwd=bypass; detail=<detail>` (RFC 9211). Call it
// once the response is in ctx.Response. It does not allocate once the
// response's header buffers have grown.
func (c *Cache) Skipped(ctx *fasthttp.RequestCtx, detail string) {
	c.stats.bypasses.Add(1)
	var st [96]byte
	b := append(append(st[:0], valBypass...), detail...)
	ctx.Response.Header.SetCanonical(hdrCacheStatus, b)
	ctx.Response.Header.SetCanonical(hdrXCache, valMiss)
}
