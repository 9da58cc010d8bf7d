package proxy

import (
	"bytes"
	"log/slog"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/limiter"
	"github.com/premier-gateway/premier/proxy/route"
)

// scratch is per-request working memory, pooled so the request path does
// not allocate.
type scratch struct {
	path     []byte // normalised path
	uri      []byte // rewritten request URI
	buf      []byte // header building
	caps     route.Captures
	obs      Observation
	filter   attemptFilter
	vars     route.Vars
	key      []byte // rate-limit key
	ckey     []byte // cache key
	client   []byte // client key for templates
	decision limiter.Decision
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{path: make([]byte, 0, 256), uri: make([]byte, 0, 512), buf: make([]byte, 0, 256),
		key: make([]byte, 0, 128), ckey: make([]byte, 0, 512), client: make([]byte, 0, 64)}
}}

// Handler serves one request: the fixed pipeline of DESIGN.md §3.
func (g *Gateway) Handler(ctx *fasthttp.RequestCtx) {
	defer g.recoverPanic(ctx)
	t := g.cur.Load()
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)

	rawURI := ctx.Request.Header.RequestURI()
	rawPath, query, ok := splitRequestURI(rawURI)
	if !ok {
		writeError(ctx, ErrBadRequest)
		ctx.SetConnectionClose()
		return
	}
	var err error
	s.path, err = route.NormalizePath(s.path[:0], rawPath)
	if err != nil {
		writeError(ctx, ErrBadRequest)
		return
	}
	if route.HasPrefixSegment(s.path, t.prefix) {
		g.serveReserved(ctx, t, s.path)
		return
	}
	if rawURI[0] != '/' || !bytes.Equal(s.path, rawPath) {
		s.uri = append(append(s.uri[:0], s.path...), query...)
		ctx.Request.SetRequestURIBytes(s.uri)
	}
	p := t.fallback
	if i := t.match.Match(s.path, &s.caps); i >= 0 {
		p = t.rules[i]
	}
	start := time.Now()
	o := &s.obs
	*o = Observation{Rule: p.index, Route: p.name, Method: ctx.Method(), Path: s.path, Start: start}
	if isWebSocketUpgrade(&ctx.Request) {
		o.Backend = p.serveWebSocket(g, t, ctx, s)
	} else {
		o.Backend = p.serve(g, t, ctx, s, start)
	}
	p.limitHeaders(ctx, s)
	o.Duration = time.Since(start)
	o.Status = ctx.Response.StatusCode()
	g.metrics.observe(o)
	if p.logThreshold > 0 && o.Duration > p.logThreshold {
		g.logSlow(ctx, o)
	}
}

// logSlow logs a request slower than its rule's monitoring threshold.
func (g *Gateway) logSlow(ctx *fasthttp.RequestCtx, o *Observation) {
	g.log.LogAttrs(ctx, slog.LevelWarn, "slow request",
		slog.String("route", o.Route),
		slog.String("method", string(o.Method)),
		slog.String("path", string(o.Path)),
		slog.Int("status", o.Status),
		slog.Duration("duration", o.Duration),
		slog.Duration("upstream", o.Upstream),
		slog.String("backend", o.Backend))
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
// backend that answered (for the slow log), or "".
func (p *plan) serve(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, start time.Time) string {
	if cl := ctx.Request.Header.ContentLength(); t.maxBody > 0 && int64(cl) > t.maxBody {
		writeError(ctx, ErrBodyTooLarge)
		ctx.SetConnectionClose()
		return ""
	}
	if !p.admit(g, t, ctx, s) {
		return ""
	}
	if p.noRoute {
		writeError(ctx, ErrNoRoute)
		return ""
	}
	if p.cache != nil {
		return p.serveCached(g, t, ctx, s, start)
	}
	return p.fetch(g, t, ctx, s, start)
}

// fetch gets the response from the app (plugin mode) or the backends.
func (p *plan) fetch(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, start time.Time) string {
	if p.app != nil {
		p.serveApp(g, ctx)
		return "app"
	}
	var deadline time.Time
	if p.timeout > 0 {
		deadline = start.Add(p.timeout)
	}
	return p.forward(g, t, ctx, s, deadline)
}

// recoverPanic turns a panic in the request path into a 500; the process
// and the connection's other requests live on.
func (g *Gateway) recoverPanic(ctx *fasthttp.RequestCtx) {
	if r := recover(); r != nil {
		g.log.Error("panic in request path", slog.Any("panic", r), slog.String("path", string(ctx.Path())))
		writeError(ctx, ErrInternal)
		ctx.SetConnectionClose()
	}
}
