package proxy

import (
	"bytes"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/metrics"
)

var strExpect = []byte(fasthttp.HeaderExpect)

// checkHead vets what fasthttp's parser leaves to the application: the
// HTTP version (1.0 and 1.1 only), the Host value, and Expect (only
// 100-continue, which the gateway answers itself).
func checkHead(h *fasthttp.RequestHeader) error {
	if !h.IsHTTP11() && !bytes.Equal(h.Protocol(), strHTTP10) {
		return ErrVersion
	}
	if !validHost(h.Host()) {
		return ErrBadRequest
	}
	if e := h.PeekCanonical(strExpect); len(e) > 0 { // the server keeps names canonical: no renormalising per request
		if !equalFoldString(e, "100-continue") {
			return ErrExpectation
		}
		h.Del("Expect")
	}
	return nil
}

// hostBytes are the bytes of RFC 3986 reg-name, IP-literal and port. Not
// '@': fasthttp would turn userinfo in a Host into an Authorization header.
var hostBytes = func() (ok [256]bool) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=%:[]") {
		ok[c] = true
	}
	return ok
}()

func validHost(h []byte) bool {
	for _, c := range h {
		if !hostBytes[c] {
			return false
		}
	}
	return true
}

// absoluteAuthority returns the authority of an http or https
// absolute-form target, or nil.
func absoluteAuthority(uri []byte) []byte {
	i := bytes.Index(uri, strSchemeSep)
	if i < 0 || !(equalFoldString(uri[:i], "http") || equalFoldString(uri[:i], "https")) {
		return nil
	}
	rest := uri[i+3:]
	if j := bytes.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// headerReceived runs before fasthttp reads any body byte. A declared
// length over the smallest body limit (limits.max_body_bytes, or a rule's
// smaller max_body_bytes) is routed through expectContinue (as if the
// client had sent Expect: 100-continue), which matches the rule and
// answers 413 and closes without reading the body when the rule's limit
// refuses it: fasthttp's streaming read would otherwise wait for the
// first 8 KiB of it before the handler runs. The rule is not known here
// (the head is not routed yet), hence the smallest limit.
func (g *Gateway) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if limit := g.cur.Load().minBody; limit > 0 && int64(h.ContentLength()) > limit && h.IsHTTP11() {
		h.Set("Expect", "100-continue")
	}
	return fasthttp.RequestConfig{}
}

// bodyTooLarge answers 413 and closes when the declared body length is
// over limit (a rule's, or limits.max_body_bytes).
func bodyTooLarge(ctx *fasthttp.RequestCtx, limit int64) bool {
	if cl := ctx.Request.Header.ContentLength(); limit > 0 && int64(cl) > limit {
		writeError(ctx, ErrBodyTooLarge)
		ctx.SetConnectionClose()
		return true
	}
	return false
}

// expectKey carries an admitted request's scratch from expectContinue to
// Handler.
const expectKey = "premier.expect"

// expectContinue is fasthttp's ExpectHandler for `Expect: 100-continue`.
// The 100 goes out only after every policy decided on the head alone (the
// request line and Host, the body limit, the rate limit, a route to send
// it to) has passed; otherwise the final answer is written here and
// fasthttp closes the connection without reading the body. An admitted
// request's scratch travels to Handler so the rate limit counts it once.
func (g *Gateway) expectContinue(ctx *fasthttp.RequestCtx) (status int) {
	defer func() {
		if r := recover(); r != nil {
			g.answerPanic(ctx, r)
			status = fasthttp.StatusInternalServerError
		}
	}()
	t := g.cur.Load()
	s := getScratch()
	start := time.Now()
	t.rid.requestID(ctx, s) // minted here, it is in the request header: Handler keeps it
	p, reserved := g.route(ctx, t, s)
	if reserved || (p != nil && isWebSocketUpgrade(&ctx.Request)) {
		if bodyTooLarge(ctx, t.maxBody) {
			g.finishEarly(ctx, t, s, start, reserved)
			scratchPool.Put(s)
			return fasthttp.StatusRequestEntityTooLarge
		}
		scratchPool.Put(s)
		return fasthttp.StatusContinue
	}
	if p == nil {
		g.finishEarly(ctx, t, s, start, false)
		scratchPool.Put(s)
		return ctx.Response.StatusCode()
	}
	o := &s.obs
	*o = metrics.Observation{Rule: p.index, Route: p.name, Method: ctx.Method(), Path: s.path, Start: start, RequestID: s.rid}
	if !p.precheck(g, t, ctx, s) {
		p.limitHeaders(ctx, s)
		if p.access != nil && p.access.cors != nil {
			corsHeaders(ctx, p.access.cors)
		}
		if x := p.transform; x != nil && x.Response != nil {
			x.responseHeaders(t, ctx, s, true) // the gateway's own answer
		}
		g.finish(ctx, t, s, p)
		scratchPool.Put(s)
		return o.Status
	}
	s.admitted = true
	ctx.SetUserValue(expectKey, s)
	return fasthttp.StatusContinue
}

var (
	strHTTP10 = []byte("HTTP/1.0")
	strHTTP11 = []byte("HTTP/1.1")
)
