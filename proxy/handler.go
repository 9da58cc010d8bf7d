package proxy

import (
	"bytes"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/limiter"
	"github.com/premier-gateway/premier/proxy/auth"
	"github.com/premier-gateway/premier/proxy/metrics"
	"github.com/premier-gateway/premier/proxy/route"
	"github.com/premier-gateway/premier/proxy/upstream"
)

// scratch is per-request working memory, pooled so the request path does
// not allocate.
type scratch struct {
	path     []byte     // normalised path
	rid      []byte     // the request ID (requestid.go); empty with request_id off
	tries    int        // attempts the attempt loop made (the access log's retries)
	ip       netip.Addr // the client address, once known (clientIP)
	ipKnown  bool
	wsLog    *wsLog // an upgrade's access log record, logged when the session closes
	uri      []byte // rewritten request URI
	buf      []byte // header building
	fwd      []byte // the Forwarded value of a TLS request (prepareRequest)
	head     []byte // the request head as the backend gets it (prepareRequest)
	conn     []byte // its Connection values
	caps     route.Captures
	match    route.Request // what the rules look at (route)
	obs      metrics.Observation
	filter   attemptFilter
	http     httpExchange // the attempt loop's exchanges
	app      appExchange
	ws       wsExchange
	body     clientBody     // the streamed request body on its way to a backend
	whole    upstream.Whole // which backend bodies are read whole, and the one held (bodybudget.go)
	replay   int64          // request body bytes reserved from the body budget for replay
	admitted bool           // expectContinue ran precheck before the 100
	vars     route.Vars
	key      []byte // rate-limit key
	ckey     []byte // cache key
	client   []byte // client key for templates
	decision limiter.Decision
	auth     auth.State // the rule's auth: who the request comes from
	http10   bool       // the client spoke HTTP/1.0 (compression: no chunked stream for it)
	trace    traceState // W3C trace context and the request's spans (tracing.go)
	// The rewrite and header rules (transform.go): the rewritten path,
	// working space, the client address and a rendered value; repeated
	// is whether the request's header names repeat (prepareRequest), and
	// relayed that the response is a backend's answer, not the gateway's.
	rpath, rtmp, xclient, xval []byte
	buri                       []byte // the target with a server's base path (setTarget)
	repeated, relayed          bool
	// splitCookie is the Set-Cookie value of the split group chosen for
	// this request (nil: none to send); it goes out with the response
	// headers, after the cache had its look at the backend's answer.
	splitCookie []byte
	probe       bool // route answered a health probe (health.go)
}

// getScratch takes a scratch from the pool with what its previous request
// left in the fields filled on demand forgotten (its admission, identity,
// path, attempts, WebSocket record, client address): every request path
// that takes one (Handler, expectContinue, a background cache refresh)
// takes it here.
func getScratch() *scratch {
	s := scratchPool.Get().(*scratch)
	s.admitted = false
	s.auth.Reset()
	s.path = s.path[:0]
	s.tries, s.wsLog, s.ipKnown = 0, nil, false
	return s
}

// clientIP is the request's client address (Trusted.ClientIP), found
// once per request: the access log, the rate limit, auth and the
// forwarding headers each ask for it.
func (s *scratch) clientIP(t *table, ctx *fasthttp.RequestCtx) netip.Addr {
	if !s.ipKnown {
		s.ip, s.ipKnown = t.trusted.ClientIP(ctx), true
	}
	return s.ip
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{path: make([]byte, 0, 256), uri: make([]byte, 0, 512), buf: make([]byte, 0, 256), head: make([]byte, 0, 1024), conn: make([]byte, 0, 64), fwd: make([]byte, 0, 64),
		key: make([]byte, 0, 128), ckey: make([]byte, 0, 512), client: make([]byte, 0, 64), rid: make([]byte, 0, maxRequestIDLen),
		rpath: make([]byte, 0, 256), rtmp: make([]byte, 0, 512), xclient: make([]byte, 0, 64), xval: make([]byte, 0, 256), buri: make([]byte, 0, 512)}
}}

// Handler serves one request through the fixed pipeline (docs/architecture.md
// draws it): route, admission, cache, the attempt loop, response, stats.
func (g *Gateway) Handler(ctx *fasthttp.RequestCtx) {
	defer g.addHSTS(ctx) // last: on every answer over TLS, a panic's 500 too
	defer g.recoverPanic(ctx)
	t := g.cur.Load()
	s, early := ctx.UserValue(expectKey).(*scratch)
	if early { // expectContinue already admitted this request
		ctx.RemoveUserValue(expectKey)
	} else {
		s = getScratch()
	}
	defer scratchPool.Put(s)
	defer g.settleBodies(ctx, s) // on every path, panics too: before s goes back

	start := time.Now()
	if !early { // expectContinue took the ID and routed already
		t.rid.requestID(ctx, s)
	}
	p, reserved := g.route(ctx, t, s)
	if reserved && !s.probe {
		g.serveReserved(ctx, t, s.path)
	}
	if p == nil {
		g.finishEarly(ctx, t, s, start, reserved)
		g.drainClose(ctx)
		return
	}
	o := &s.obs
	limit, limitKey, authed, consumer := o.Limit, o.LimitKey, o.Auth, o.Consumer
	*o = metrics.Observation{Rule: p.index, Route: p.name, Method: ctx.Method(), Path: s.path, Start: start, RequestID: s.rid}
	s.relayed = false
	if s.admitted {
		o.Limit, o.LimitKey, o.Auth, o.Consumer = limit, limitKey, authed, consumer
	}
	g.beginTrace(t, ctx, s, p, start)
	s.splitCookie = nil
	ws := isWebSocketUpgrade(&ctx.Request)
	s.http10 = !ctx.Request.Header.IsHTTP11() // before forwarding makes it 1.1
	if ws {
		o.Backend = p.serveWebSocket(g, t, ctx, s)
	} else {
		o.Backend = p.serve(g, t, ctx, s, start)
	}
	if o.Backend != "" { // the exchange reached this backend; app and cache set their Source
		o.Source = metrics.SourceBackend
	}
	p.limitHeaders(ctx, s)
	if p.access != nil && p.access.cors != nil && !ws {
		corsHeaders(ctx, p.access.cors)
	}
	if x := p.transform; x != nil && x.Response != nil && !ws {
		own := o.Source == metrics.SourceNone || o.Source == metrics.SourceBackend && !s.relayed
		x.responseHeaders(t, ctx, s, own)
	}
	if s.splitCookie != nil {
		ctx.Response.Header.SetBytesV(fasthttp.HeaderSetCookie, s.splitCookie)
	}
	if p.compress != nil && !ws {
		g.compressResponse(ctx, p.compress, s)
	}
	g.finish(ctx, t, s, p)
	if !ws { // a 101 keeps its Connection: Upgrade
		g.drainClose(ctx)
		holdResponse(ctx)
	}
}

// finish records a request its rule answered (or refused): the ID on the
// answer, then the one Observe every answer reaches, and the slow log.
func (g *Gateway) finish(ctx *fasthttp.RequestCtx, t *table, s *scratch, p *plan) {
	o := &s.obs
	t.rid.answerID(ctx, s, o.Source == metrics.SourceApp)
	o.Duration = time.Since(o.Start)
	o.Status = ctx.Response.StatusCode()
	s.trace.req.End(o.Status, o.Start.Add(o.Duration))
	g.metrics.Observe(o)
	if p.logThreshold > 0 && o.Duration > p.logThreshold {
		g.logSlow(ctx, o)
	}
	g.logAccess(ctx, t, s)
}

// GatewayRoute is the route name the gateway's own answers before any rule
// matched are counted under (a malformed head or path, the reserved
// prefix, redirect_http, OPTIONS *, ACME challenges), as the rule index
// GatewayRule.
const (
	GatewayRoute = "gateway"
	GatewayRule  = -2
)

// finishEarly records an answer given before any rule matched. The
// dashboard's own successful answers (its polling) and the health
// probes' are left out of the metrics and the recent requests, so they do
// not drown the traffic they show; their refusals are counted. The access
// log has them all.
func (g *Gateway) finishEarly(ctx *fasthttp.RequestCtx, t *table, s *scratch, start time.Time, reserved bool) {
	t.rid.answerID(ctx, s, false)
	o := &s.obs
	path := s.path
	if len(path) == 0 { // refused before the path was normalised: the raw one
		path = ctx.Request.Header.RequestURI()
		if i := bytes.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
	}
	*o = metrics.Observation{Rule: GatewayRule, Route: GatewayRoute, Method: ctx.Method(), Path: path, Start: start,
		RequestID: s.rid, Duration: time.Since(start), Status: ctx.Response.StatusCode()}
	// A probe's 200 or 503 is the probe's protocol, polled like the
	// dashboard: only its refusals (405) are counted.
	quiet := reserved && (o.Status < 400 || s.probe && o.Status == fasthttp.StatusServiceUnavailable)
	if !quiet {
		g.metrics.Observe(o)
	}
	s.tries, s.wsLog = 0, nil
	g.logAccess(ctx, t, s)
}

// route vets the request head, normalises the path (into s.path), rewrites
// the request URI to it and picks the rule. It returns reserved for the
// dashboard prefix, and a nil plan when it has answered the request; a
// health probe is both, answered, with s.probe set.
func (g *Gateway) route(ctx *fasthttp.RequestCtx, t *table, s *scratch) (p *plan, reserved bool) {
	s.probe = false
	if err := checkHead(&ctx.Request.Header); err != nil {
		writeError(ctx, err)
		ctx.SetConnectionClose()
		return nil, false
	}
	// The health probes come before everything that could refuse them: a
	// redirect to https, the dashboard's hosts and access check (health.go).
	if g.probe(ctx, t) {
		s.probe = true
		return nil, true
	}
	// ACME's HTTP-01 validation comes before everything that could answer
	// otherwise (a rule, the dashboard, a redirect to https); the check is
	// a method and path prefix comparison for every other request.
	if g.challenge != nil && g.challenge(ctx) {
		return nil, false
	}
	// tls.redirect_http: the plain listener answers nothing else. Without
	// an ACME handler the challenge paths are left to the rules (a backend
	// answering certbot's webroot challenges).
	if g.tls.redirects(ctx, g.challenge == nil) {
		s.buf = g.tls.redirectToHTTPS(ctx, s.buf)
		return nil, false
	}
	rawURI := ctx.Request.Header.RequestURI()
	rawPath, query, ok := splitRequestURI(rawURI)
	if ok && rawURI[0] != '/' {
		// Absolute form: its authority is the request's host (RFC 9112
		// §3.2.2), so the backend, the templates and X-Forwarded-Host all
		// see the one validated value. It never picks the upstream.
		auth := absoluteAuthority(rawURI)
		if ok = len(auth) > 0 && validHost(auth); ok {
			ctx.Request.Header.SetHostBytes(auth)
		}
	}
	if !ok {
		if ctx.IsOptions() && len(rawURI) == 1 && rawURI[0] == '*' {
			ctx.Response.Reset() // OPTIONS * asks about the gateway itself: 200, empty
			return nil, false
		}
		writeError(ctx, ErrBadRequest)
		ctx.SetConnectionClose()
		return nil, false
	}
	var err error
	s.path, err = route.NormalizePath(s.path[:0], rawPath)
	if err != nil {
		writeError(ctx, ErrBadRequest)
		return nil, false
	}
	if route.HasPrefixSegment(s.path, t.prefix) {
		return nil, true
	}
	// s.uri is the request target the backend gets: forward sets it again
	// just before writing, because fasthttp rebuilds a parsed URI from its
	// own decoding of the path (turning "%3B" into ";", dropping "#...").
	s.uri = append(append(s.uri[:0], s.path...), query...)
	if rawURI[0] != '/' || !bytes.Equal(s.path, rawPath) {
		ctx.Request.SetRequestURIBytes(s.uri)
	}
	p = t.fallback
	if i := t.match.MatchRequest(matchRequest(&s.match, &ctx.Request, s.path), &s.caps); i >= 0 {
		p = t.rules[i]
	}
	return p, false
}

// matchRequest fills r with what the rules look at in req, whose path
// normalises to path. The method of a CORS preflight is the one it
// announces (preflightMethod), so a rule with `methods` answers the
// preflights of the requests it serves.
func matchRequest(r *route.Request, req *fasthttp.Request, path []byte) *route.Request {
	r.Path, r.Host, r.Req = path, req.Header.Host(), req
	r.Method = req.Header.Method()
	if m, pre := preflightMethod(&req.Header); pre {
		r.Method = m
	}
	return r
}

// logSlow logs a request slower than its rule's monitoring threshold.
func (g *Gateway) logSlow(ctx *fasthttp.RequestCtx, o *metrics.Observation) {
	g.log.LogAttrs(ctx, slog.LevelWarn, "slow request",
		slog.String("request_id", string(o.RequestID)),
		slog.String("rule", o.Route),
		slog.String("method", string(o.Method)),
		slog.String("path", string(o.Path)),
		slog.Int("status", o.Status),
		slog.Duration("duration", o.Duration),
		slog.Duration("upstream", o.Upstream),
		slog.String("backend", o.BackendName()))
}

// splitRequestURI splits a request target into its path and `?query`
// (query keeps its leading '?'). Absolute-form targets are reduced to their
// path: the upstream is always chosen by the rules, never by the client.
func splitRequestURI(uri []byte) (path, query []byte, ok bool) {
	if len(uri) == 0 {
		return nil, nil, false
	}
	if uri[0] != '/' {
		i := bytes.Index(uri, strSchemeSep)
		if i <= 0 {
			return nil, nil, false
		}
		rest := uri[i+3:]
		j := bytes.IndexAny(rest, "/?")
		if j < 0 {
			uri = strSlash
		} else if rest[j] == '?' {
			uri = append(strSlash[:1:1], rest[j:]...) // rare path: absolute-form without a path
		} else {
			uri = rest[j:]
		}
	}
	if bytes.IndexByte(uri, '#') >= 0 {
		return nil, nil, false // a fragment is never part of a request target
	}
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		return uri[:i], uri[i:], true
	}
	return uri, nil, true
}

var (
	strSchemeSep = []byte("://")
	strSlash     = []byte("/")
)

// serve runs the rule's policies and produces the response. It returns the
// backend that answered, or "" (the app and the cache set s.obs.Source).
func (p *plan) serve(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, start time.Time) string {
	if !s.admitted && !p.precheck(g, t, ctx, s) {
		return ""
	}
	if p.cache != nil {
		return p.serveCached(g, t, ctx, s, start)
	}
	return p.fetch(g, t, ctx, s, start)
}

// precheck runs the policies decided on the request head alone, in the
// fixed order: the rule's redirect, the body limit, ip_filter and the CORS preflight, auth, the
// rate limit, and whether the rule has anywhere to send the request. It
// returns false when it has answered the request.
func (p *plan) precheck(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch) bool {
	if x := p.transform; x != nil && x.Redirect != nil { // right after the match: before everything else
		x.redirect(t, ctx, s)
		return false
	}
	if bodyTooLarge(ctx, p.maxBody) {
		return false
	}
	if p.access != nil && !p.access.guard(t, ctx) { // ip_filter, CORS preflight: before auth
		return false
	}
	if !p.authenticate(t, ctx, s) {
		return false
	}
	if !p.admit(g, t, ctx, s) {
		return false
	}
	if p.noRoute {
		writeError(ctx, ErrNoRoute)
		return false
	}
	return true
}

// fetch gets the response from the app (plugin mode) or the backends.
func (p *plan) fetch(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, start time.Time) string {
	if p.app != nil {
		p.serveApp(g, ctx, s)
		s.obs.Source = metrics.SourceApp
		// An app's stream of unknown size reaches a 1.0 client as a
		// backend's does; a timed-out app still owns its response.
		if !ctx.Request.Header.IsHTTP11() && ctx.LastTimeoutErrorResponse() == nil {
			g.streamToHTTP10(ctx)
		}
		return ""
	}
	var deadline time.Time
	if p.timeout > 0 {
		deadline = start.Add(p.timeout)
	}
	if p.split != nil { // the split's place: just before the attempt loop
		p, s.splitCookie = p.split.choose(t, ctx)
	}
	return p.forward(g, t, ctx, s, deadline)
}

// recoverPanic turns a panic in the request path into a 500; the process
// and the connection's other requests live on.
func (g *Gateway) recoverPanic(ctx *fasthttp.RequestCtx) {
	if r := recover(); r != nil {
		g.answerPanic(ctx, r)
	}
}

func (g *Gateway) answerPanic(ctx *fasthttp.RequestCtx, r any) {
	g.log.Error("panic in request path", slog.String("request_id", string(g.cur.Load().rid.peek(ctx))),
		slog.Any("panic", r), slog.String("path", string(ctx.Path())),
		slog.String("stack", string(debug.Stack())))
	writeError(ctx, ErrInternal)
	ctx.SetConnectionClose()
}
