package ui

import (
	"bytes"
	"embed"
	"io/fs"
	"log/slog"
	"mime"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/adminauth"
	"github.com/premier-gateway/premier/ui/source"
)

// Source is what the dashboard reads from the gateway (see package ui/source).
type Source = source.Source

//go:embed assets
var assetsFS embed.FS

// Options configure a Dashboard. The zero value is ready.
type Options struct {
	// Logger records applies, rollbacks, purges and failed logins.
	// Default slog.Default().
	Logger *slog.Logger
	// Interval is how often the live stream pushes a snapshot. Default 1s.
	Interval time.Duration
	// MaxStreams bounds concurrent live streams; more get 503. Default 32.
	MaxStreams int
	// SessionTTL is how long a login cookie stays valid. Default 12h.
	SessionTTL time.Duration
	// StreamLifetime ends a live stream after this long (the browser
	// reconnects at once), so no connection is held forever. Default 10m.
	StreamLifetime time.Duration

	now func() time.Time // tests
}

// Dashboard serves the dashboard for one Source. Create it with New; call
// Close when the server stops (it ends the live streams).
type Dashboard struct {
	src  Source
	opts Options
	log  *slog.Logger

	done      chan struct{}
	closeOnce sync.Once
	streams   chan struct{} // one token per open stream

	snapMu   sync.Mutex
	snapAt   time.Time
	snapJSON []byte
	// snapSeconds is the last snapshot's whole window of seconds (the
	// JSON carries only its tail).
	snapSeconds []source.Second
	health      source.HealthTimeline

	logins loginThrottle
}

// New returns the dashboard of src.
func New(src Source, opts Options) *Dashboard {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = 32
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.StreamLifetime <= 0 {
		opts.StreamLifetime = 10 * time.Minute
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	return &Dashboard{src: src, opts: opts, log: opts.Logger, done: make(chan struct{}),
		streams: make(chan struct{}, opts.MaxStreams)}
}

// Close ends the live streams; later stream requests get 503. Safe to call
// more than once.
func (d *Dashboard) Close() { d.closeOnce.Do(func() { close(d.done) }) }

// Handler serves every request under the prefix. The gateway routes the
// reserved prefix here (proxy.Gateway.SetReservedHandler).
func (d *Dashboard) Handler(ctx *fasthttp.RequestCtx) {
	acc := d.src.Access()
	sub, ok := under(ctx.Path(), acc.Prefix)
	if !ok || !acc.Enabled {
		notFound(ctx)
		return
	}
	securityHeaders(ctx)
	switch v := d.visibility(ctx, acc); v {
	case hidden:
		notFound(ctx)
		return
	case wrongHost:
		ctx.Error("dashboard: open it as http://localhost or http://127.0.0.1 (no dashboard.token is set, so only loopback names are served)", fasthttp.StatusForbidden)
		return
	}
	// Assets and the login form are served to anyone the dashboard is
	// visible to: they reveal nothing.
	switch {
	case strings.HasPrefix(sub, "/assets/"):
		d.serveAsset(ctx, sub)
		return
	case sub == "/login":
		d.serveLogin(ctx, acc)
		return
	case sub == "/logout":
		d.serveLogout(ctx, acc)
		return
	}
	_, withBearer := adminauth.Bearer(ctx)
	withBearer = withBearer && acc.Token != ""
	client := clientKey(ctx, acc)
	if withBearer && d.logins.blocked(d.opts.now(), client) {
		ctx.Response.Header.Set("Retry-After", "60")
		writeJSONError(ctx, fasthttp.StatusTooManyRequests, "too many wrong tokens from this client; wait a minute")
		return
	}
	via := d.authenticate(ctx, acc)
	if via == unauthenticated {
		if withBearer {
			d.logins.failed(d.opts.now(), client)
			d.log.Warn("dashboard: wrong bearer token", "client", client)
		}
		d.unauthorized(ctx, acc, sub)
		return
	}
	if !ctx.IsGet() && !ctx.IsHead() && !d.sameOriginOK(ctx, via) {
		writeJSONError(ctx, fasthttp.StatusForbidden, "cross-origin request refused")
		return
	}
	switch {
	case sub == "":
		ctx.Redirect(acc.Prefix+"/", fasthttp.StatusFound)
	case sub == "/":
		if !ctx.IsGet() && !ctx.IsHead() {
			methodNotAllowed(ctx, "GET")
			return
		}
		d.serveFile(ctx, "assets/index.html")
	case sub == "/metrics":
		ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
		d.src.WriteMetrics(ctx)
	case strings.HasPrefix(sub, "/api/"):
		d.serveAPI(ctx, sub[len("/api"):], acc, via)
	default:
		notFound(ctx)
	}
}

// under returns the part of p after prefix ("" or "/..."), or false.
func under(p []byte, prefix string) (string, bool) {
	if !bytes.HasPrefix(p, []byte(prefix)) {
		return "", false
	}
	rest := p[len(prefix):]
	if len(rest) > 0 && rest[0] != '/' {
		return "", false
	}
	return string(rest), true
}

func (d *Dashboard) serveAsset(ctx *fasthttp.RequestCtx, sub string) {
	name := path.Clean("assets/" + strings.TrimPrefix(sub, "/assets/"))
	if !strings.HasPrefix(name, "assets/") || name == "assets/index.html" {
		notFound(ctx)
		return
	}
	d.serveFile(ctx, name)
	if ctx.Response.StatusCode() == fasthttp.StatusOK {
		ctx.Response.Header.Set("Cache-Control", "no-cache")
	}
}

func (d *Dashboard) serveFile(ctx *fasthttp.RequestCtx, name string) {
	b, err := fs.ReadFile(assetsFS, name)
	if err != nil {
		notFound(ctx)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	ctx.SetContentType(ct)
	ctx.SetBody(b)
}

func securityHeaders(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
}

// notFound answers as the gateway does for anything it does not serve, so
// the dashboard is not revealed.
func notFound(ctx *fasthttp.RequestCtx) {
	ctx.Response.Reset()
	writeJSONError(ctx, fasthttp.StatusNotFound, "not found")
}

func methodNotAllowed(ctx *fasthttp.RequestCtx, allow string) {
	ctx.Response.Header.Set("Allow", allow)
	writeJSONError(ctx, fasthttp.StatusMethodNotAllowed, "method not allowed")
}
