package proxy

import (
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/access"
)

const (
	hdrACRequestMethod = "Access-Control-Request-Method"
	hdrACAllowOrigin   = "Access-Control-Allow-Origin"
	hdrACAllowCreds    = "Access-Control-Allow-Credentials"
	hdrACAllowMethods  = "Access-Control-Allow-Methods"
	hdrACAllowHeaders  = "Access-Control-Allow-Headers"
	hdrACExposeHeaders = "Access-Control-Expose-Headers"
	hdrACMaxAge        = "Access-Control-Max-Age"
)

// answerPreflight answers a CORS preflight for a rule with cors: 204 with
// the Access-Control-* headers when its Origin and announced method are
// allowed; otherwise 403 {"error": "forbidden"} without any of them. A
// browser fails the preflight either way (it needs the headers, whatever
// the status), so the refusal is for people: it shows as 403 in the
// browser's network panel and in the rule's 403 counts, where a bare 204
// would look like success.
func answerPreflight(ctx *fasthttp.RequestCtx, c *access.CORS, method []byte) {
	origin := ctx.Request.Header.Peek(fasthttp.HeaderOrigin)
	if !c.OriginAllowed(origin) || !c.MethodAllowed(method) {
		writeError(ctx, ErrForbidden)
		varyOrigin(&ctx.Response.Header, c)
		return
	}
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(fasthttp.StatusNoContent)
	h := &ctx.Response.Header
	allowOrigin(h, c, origin)
	h.SetBytesV(hdrACAllowMethods, c.AllowMethods())
	if v := c.AllowHeaders(); v != nil {
		h.SetBytesV(hdrACAllowHeaders, v)
	}
	if v := c.MaxAge(); v != nil {
		h.SetBytesV(hdrACMaxAge, v)
	}
	varyOrigin(h, c)
}

// corsHeaders gives an actual (non-preflight) answer of a rule with cors
// its Access-Control-* headers, whoever produced it: the backend, the
// cache, or the gateway's own refusals (401, 403, 429, 502...), so a page
// can read why it was refused. The rule's cors owns these headers: a
// backend's own are replaced, and a disallowed Origin gets none. They are
// added on the way out, after the cache stored the response, so a stored
// answer never carries one Origin's headers to another.
func corsHeaders(ctx *fasthttp.RequestCtx, c *access.CORS) {
	if _, pre := preflightMethod(&ctx.Request.Header); pre {
		return // answered by guard, or refused before it
	}
	h := &ctx.Response.Header
	h.Del(hdrACAllowOrigin)
	h.Del(hdrACAllowCreds)
	h.Del(hdrACExposeHeaders)
	varyOrigin(h, c)
	origin := ctx.Request.Header.Peek(fasthttp.HeaderOrigin)
	if !c.OriginAllowed(origin) {
		return
	}
	allowOrigin(h, c, origin)
	if v := c.ExposeHeaders(); v != nil {
		h.SetBytesV(hdrACExposeHeaders, v)
	}
}

// allowOrigin sets Access-Control-Allow-Origin (a literal "*" for any
// origin, which never comes with credentials, else the request's own
// Origin) and Access-Control-Allow-Credentials.
func allowOrigin(h *fasthttp.ResponseHeader, c *access.CORS, origin []byte) {
	if c.AnyOrigin() {
		h.Set(hdrACAllowOrigin, "*")
	} else {
		h.SetBytesV(hdrACAllowOrigin, origin)
	}
	if c.Credentials() {
		h.Set(hdrACAllowCreds, "true")
	}
}

// varyOrigin adds Origin to the response's Vary when the rule's answers
// depend on it (its origins are a list, not "*"), keeping the Vary the
// backend sent: every answer of such a rule varies, those without an
// Origin included, or a shared cache could hand a page the answer stored
// for a request that had none.
func varyOrigin(h *fasthttp.ResponseHeader, c *access.CORS) {
	if !c.VariesByOrigin() {
		return
	}
	for _, v := range h.PeekAll(fasthttp.HeaderVary) {
		if hasToken(v, "origin") || hasToken(v, "*") {
			return
		}
	}
	h.Add(fasthttp.HeaderVary, fasthttp.HeaderOrigin)
}

// hasToken reports whether the comma-separated list v holds tok (lower
// case), compared ASCII-case-insensitively.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var item []byte
		item, v = cutComma(v)
		if len(item) == len(tok) && equalFoldString(item, tok) {
			return true
		}
	}
	return false
}

// cutComma returns the first item of a comma-separated list without its
// surrounding spaces and tabs, and the rest after the comma.
func cutComma(v []byte) (item, rest []byte) {
	i := 0
	for i < len(v) && v[i] != ',' {
		i++
	}
	item, rest = v[:i], v[min(i+1, len(v)):]
	for len(item) > 0 && (item[0] == ' ' || item[0] == '\t') {
		item = item[1:]
	}
	for len(item) > 0 && (item[len(item)-1] == ' ' || item[len(item)-1] == '\t') {
		item = item[:len(item)-1]
	}
	return item, rest
}
