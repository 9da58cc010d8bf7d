package proxy

import (
	"bytes"
	"time"

	"github.com/valyala/fasthttp"
)

// The probe paths under the reserved prefix (docs/health.md).
const (
	healthzPath = "/healthz"
	readyzPath  = "/readyz"
)

var (
	probeOK        = []byte("ok\n")
	probeDraining  = []byte("draining\n")
	probeType      = []byte("text/plain; charset=utf-8")
	strNoStore     = []byte("no-store")
	strAllowProbes = []byte("GET, HEAD")
)

// probe answers {prefix}/healthz (the process is alive: 200 "ok") and
// {prefix}/readyz (200 "ok", or 503 "draining" once StartDraining ran),
// and reports whether it did. It runs before everything that could
// refuse the request otherwise (the redirect to https, dashboard.hosts,
// the dashboard's access check and its being disabled): a load balancer
// or a container runtime probes the gateway itself, with no credential,
// on whatever host and listener it reaches. The answers say nothing but
// the status word. The path is compared as sent (no normalisation, the
// query ignored): probes ask for it exactly, and anything else under the
// prefix goes on to the dashboard as before.
func (g *Gateway) probe(ctx *fasthttp.RequestCtx, t *table) bool {
	uri := ctx.Request.Header.RequestURI()
	if !bytes.HasPrefix(uri, t.prefix) { // every proxied request stops here
		return false
	}
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	ready := bytes.Equal(uri, t.readyz)
	if !ready && !bytes.Equal(uri, t.healthz) {
		return false
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		writeError(ctx, ErrMethodNotAllowed)
		ctx.Response.Header.SetCanonical(strAllow, strAllowProbes)
		return true
	}
	ctx.Response.Reset()
	ctx.Response.Header.SetContentTypeBytes(probeType)
	ctx.Response.Header.SetCanonical(strCacheControl, strNoStore)
	if ready && g.Draining() {
		ctx.Response.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.Response.SetBody(probeDraining)
		return true
	}
	ctx.Response.SetBody(probeOK)
	return true
}

var (
	strAllow        = []byte(fasthttp.HeaderAllow)
	strCacheControl = []byte(fasthttp.HeaderCacheControl)
)

// StartDraining puts the gateway in the draining state: from then on
// {prefix}/readyz answers 503 and every HTTP/1.1 answer carries
// `Connection: close`, so load balancers stop sending and keep-alive
// clients move on, while requests are still served. Serve calls it when
// its ctx ends; calling it earlier (or again) is harmless, and the lame
// duck (limits.lame_duck) counts from the first call.
func (g *Gateway) StartDraining() {
	g.drainOnce.Do(func() {
		g.drainStart = time.Now()
		g.draining.Store(true)
	})
}

// Draining reports whether StartDraining has run.
func (g *Gateway) Draining() bool { return g.draining.Load() }

// lameDuckEnd is when the lame duck that began at the first StartDraining
// ends: every Serve waits until this one instant, so the plain and the TLS
// listener share the wait instead of taking it in turn.
func (g *Gateway) lameDuckEnd() time.Time {
	g.StartDraining()
	return g.drainStart.Add(seconds(g.Loaded().Config.Limits.LameDuck))
}

// drainClose puts `Connection: close` on an answer given while draining,
// before holdResponse looks at it (HTTP/2 drops the header: its drain is
// the GOAWAY at shutdown).
func (g *Gateway) drainClose(ctx *fasthttp.RequestCtx) {
	if g.draining.Load() {
		ctx.SetConnectionClose()
	}
}
