package proxy

import (
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/route"
)

// transformPolicy is a rule's rewrite, header rules and redirect, with
// what their templates read, resolved at load time.
type transformPolicy struct {
	*config.Transform
	// client and cn: some template reads {client_ip} or {tls.client_cn}
	// (each costs a look-up only then).
	client, cn bool
}

func newTransformPolicy(x *config.Transform) *transformPolicy {
	if x == nil {
		return nil
	}
	tp := &transformPolicy{Transform: x}
	each := func(t *route.Template) {
		tp.client = tp.client || t.Uses(route.PlaceholderClientIP)
		tp.cn = tp.cn || t.Uses(route.PlaceholderClientCN)
	}
	for _, ops := range []*config.HeaderOps{x.Request, x.Response} {
		if ops == nil {
			continue
		}
		for _, o := range ops.Set {
			each(o.Value)
		}
		for _, o := range ops.Add {
			each(o.Value)
		}
	}
	if x.Redirect != nil {
		each(x.Redirect.To)
	}
	if x.Rewrite != nil {
		// A path template may read any value; the others read the path.
		tp.client, tp.cn = true, true
	}
	return tp
}

// vars fills s.vars for the value templates of one request: the
// normalised path and the rule's captures, the scheme, the identity the
// rule's auth admitted, the request ID and, when a template reads them,
// the client's full address (not the rate limit's /64 key) and the
// client certificate's name.
func (x *transformPolicy) vars(t *table, ctx *fasthttp.RequestCtx, s *scratch) *route.Vars {
	s.vars = route.Vars{Path: s.path, Caps: &s.caps, TLS: ctx.IsTLS(), Consumer: s.auth.Identity.Consumer,
		Claims: s.auth.Identity.Claims, RequestID: s.rid}
	if x.client {
		s.xclient = s.clientIP(t, ctx).AppendTo(s.xclient[:0])
		s.vars.ClientKey = s.xclient
	}
	if x.cn {
		s.vars.ClientCN = clientCN(ctx)
	}
	return &s.vars
}

// rewriteRequest is the "rewrite and header rules" stage, after the
// gateway's sanitising of the request (prepareRequest): the new path goes
// into s.uri (with the query unless the rule drops it) and the request's
// header rules are applied. The path the rules matched, the cache key and
// the rate-limit key were all made from the normalised path before.
func (x *transformPolicy) rewriteRequest(t *table, ctx *fasthttp.RequestCtx, s *scratch) error {
	v := x.vars(t, ctx, s)
	if x.Rewrite != nil {
		var err error
		s.rpath, s.rtmp, err = x.Rewrite.Append(s.rpath, s.rtmp, ctx, v)
		// The reserved prefix was decided on the request's own path; a
		// rewrite never sends a path under it anywhere (a backend that is
		// this gateway would take it for a dashboard request).
		if err != nil || route.HasPrefixSegment(s.rpath, t.prefix) {
			return ErrRewrite
		}
		s.rtmp = append(s.rtmp[:0], s.rpath...)
		if !x.DropQuery {
			s.rtmp = append(s.rtmp, s.uri[len(s.path):]...)
		}
		s.uri, s.rtmp = s.rtmp, s.uri
		s.obs.Rewritten = s.rpath
	}
	if ops := x.Request; ops != nil {
		h := &ctx.Request.Header
		for _, name := range ops.Remove {
			removeRequestField(h, name, s.repeated)
		}
		for i := range ops.Set {
			o := &ops.Set[i]
			s.xval = o.Value.AppendValue(s.xval[:0], ctx, v, route.EscapeHeader)
			removeRequestField(h, o.Name, s.repeated)
			h.AddBytesKV(o.Name, s.xval)
		}
		for i := range ops.Add {
			o := &ops.Add[i]
			s.xval = o.Value.AppendValue(s.xval[:0], ctx, v, route.EscapeHeader)
			h.AddBytesKV(o.Name, s.xval)
		}
	}
	return nil
}

// removeRequestField deletes every name field, keeping the order of
// repeated fields of other names (fasthttp's Del moves the last field into
// the gap). repeated: the request's names may repeat (prepareRequest's
// scan); without repeats a plain Del is exact and allocation-free.
func removeRequestField(h *fasthttp.RequestHeader, name []byte, repeated bool) {
	if h.PeekBytes(name) == nil {
		return
	}
	if !repeated {
		h.DelBytes(name)
		return
	}
	delKeepOrder(h, string(name), true) // rare path: it allocates
}

// responseHeaders applies the rule's response_headers: to a backend's
// answer and a cache hit always, to the gateway's own answers (refusals,
// 502, 503, 504...) only with always: true. It runs after the gateway's
// own headers (RateLimit, CORS), so a rule has the last word.
func (x *transformPolicy) responseHeaders(t *table, ctx *fasthttp.RequestCtx, s *scratch, own bool) {
	ops := x.Response
	if own && !ops.Always {
		return
	}
	v := x.vars(t, ctx, s)
	h := &ctx.Response.Header
	for _, name := range ops.Remove {
		removeResponseField(h, name)
	}
	for i := range ops.Set {
		o := &ops.Set[i]
		s.xval = o.Value.AppendValue(s.xval[:0], ctx, v, route.EscapeHeader)
		removeResponseField(h, o.Name)
		h.AddBytesKV(o.Name, s.xval)
	}
	for i := range ops.Add {
		o := &ops.Add[i]
		s.xval = o.Value.AppendValue(s.xval[:0], ctx, v, route.EscapeHeader)
		h.AddBytesKV(o.Name, s.xval)
	}
}

// removeResponseField is removeRequestField for a response: repeated
// names are looked for only when name is there to delete.
func removeResponseField(h *fasthttp.ResponseHeader, name []byte) {
	if h.PeekBytes(name) == nil {
		return
	}
	var names nameSet
	repeated := false
	for k := range h.All() {
		if names.add(k) {
			repeated = true
			break
		}
	}
	if !repeated {
		h.DelBytes(name)
		return
	}
	saved := saveRepeated(h, name) // rare path: it allocates
	h.DelBytes(name)
	restoreRepeated(h, saved)
}

// redirect answers the request with the rule's redirect: right after
// matching, before ip_filter, auth and any backend work. The Location is
// the `to` template with request values percent-encoded (never a CR, LF or
// space), a relative target never starts with "//" (another host to a
// browser), and the query is kept unless the rule drops it.
func (x *transformPolicy) redirect(t *table, ctx *fasthttp.RequestCtx, s *scratch) {
	r := x.Redirect
	v := x.vars(t, ctx, s)
	loc := r.To.AppendValue(s.xval[:0], ctx, v, route.EscapeURL)
	if len(loc) > 1 && loc[0] == '/' {
		// "/{header.X}" with X "/evil.com": collapse the leading slashes.
		i := 1
		for i < len(loc) && loc[i] == '/' {
			i++
		}
		loc = append(loc[:1], loc[i:]...)
	}
	if q := s.uri[len(s.path):]; !r.DropQuery && len(q) > 1 {
		if hasByte(loc, '?') {
			loc = append(loc, '&')
			q = q[1:]
		}
		loc = appendQueryEscaped(loc, q)
	}
	s.xval = loc
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(r.Status)
	ctx.Response.Header.SetBytesV("Location", loc)
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// appendQueryEscaped appends a request's query as the client wrote it;
// the request line cannot hold CR, LF or spaces, but the bytes are checked
// again so the Location line never carries one.
func appendQueryEscaped(dst, q []byte) []byte {
	for _, c := range q {
		if c <= ' ' || c == 0x7f {
			dst = append(dst, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
