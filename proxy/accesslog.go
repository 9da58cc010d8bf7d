package proxy

import (
	"bytes"
	"crypto/tls"
	"reflect"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/accesslog"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/metrics"
)

// The access log (access_log): every answer, the gateway's own included,
// becomes one record copied into the log's ring after the metrics saw it;
// the log's writer goroutine formats and writes it. Off, it costs the
// nil check of g.alog.

// openAccessLog opens c's access log (nil without one).
func (g *Gateway) openAccessLog(c *config.Config) (*accesslog.Log, error) {
	a := c.AccessLog
	if a == nil {
		return nil, nil
	}
	return accesslog.Open(accesslog.Options{Path: a.Path, Format: a.Format, Buffer: a.Buffer,
		Secrets: secretParams(c), Log: g.log})
}

// secretParams are the query parameters whose values the log never
// writes: api_key, and every auth api_keys.query of the config.
func secretParams(c *config.Config) []string {
	out := []string{"api_key"}
	add := func(f *config.Features) {
		if f != nil && f.Auth != nil && f.Auth.APIKeys != nil && f.Auth.APIKeys.Query != "" {
			out = append(out, f.Auth.APIKeys.Query)
		}
	}
	for i := range c.Paths {
		add(&c.Paths[i].Features)
	}
	add(c.DefaultFeatures)
	return out
}

// reloadAccessLog replaces the running access log when the reloaded
// config changes it (or turns it on or off). The old one writes what it
// holds and stops once replaced (a request that loaded it just before and
// commits after that loses its line). A log that cannot be opened keeps
// the old one and fails the reload.
func (g *Gateway) reloadAccessLog(old, c *config.Config) error {
	if reflect.DeepEqual(old.AccessLog, c.AccessLog) && reflect.DeepEqual(secretParams(old), secretParams(c)) {
		return nil
	}
	next, err := g.openAccessLog(c)
	if err != nil {
		return err
	}
	if prev := g.alog.Swap(next); prev != nil {
		prev.Close()
		g.alogDropped.Add(prev.Dropped())
	}
	return nil
}

// ReopenLogs reopens the access log's file (SIGUSR1, after logrotate moved
// it): the lines after the call go to a new file of the same name.
func (g *Gateway) ReopenLogs() {
	if l := g.alog.Load(); l != nil {
		l.Reopen()
	}
}

// AccessLogDropped is how many access log records were dropped since
// start because the sink could not keep up or failed.
func (g *Gateway) AccessLogDropped() uint64 {
	return g.alogDropped.Load() + g.alogCurrentDropped()
}

func (g *Gateway) alogCurrentDropped() uint64 {
	if l := g.alog.Load(); l != nil {
		return l.Dropped()
	}
	return 0
}

// logAccess copies the finished request into the access log.
func (g *Gateway) logAccess(ctx *fasthttp.RequestCtx, t *table, s *scratch) {
	l := g.alog.Load()
	if l == nil {
		return
	}
	if s.wsLog != nil && s.obs.Status == fasthttp.StatusSwitchingProtocols {
		fillRecord(&s.wsLog.rec, ctx, t, s) // logged when the session closes
		s.wsLog = nil
		return
	}
	s.wsLog = nil
	r := l.Begin()
	if r == nil {
		return
	}
	fillRecord(r, ctx, t, s)
	l.Commit(r)
}

// fillRecord copies the request's fields into r.
func fillRecord(r *accesslog.Record, ctx *fasthttp.RequestCtx, t *table, s *scratch) {
	o := &s.obs
	h := &ctx.Request.Header
	r.Time, r.Status, r.Duration, r.UpstreamTime = o.Start, o.Status, o.Duration, o.Upstream
	r.Rule, r.Consumer = o.Route, o.Consumer
	r.Upstream = upstreamNames[o.Source]
	if o.Source == metrics.SourceBackend {
		r.Upstream = o.Backend
	}
	r.Cache = cacheNames[o.Cache&3]
	r.Limited = o.Limit == metrics.LimitRejected
	r.Retries = max(s.tries-1, 0)
	r.TLS = tlsVersionName(ctx)
	r.BytesIn = max(int64(h.ContentLength()), 0)
	if ctx.Response.IsBodyStream() { // streamed: its declared length, 0 without one
		r.BytesOut = max(int64(ctx.Response.Header.ContentLength()), 0)
	} else {
		r.BytesOut = int64(len(ctx.Response.Body()))
	}
	r.Set(accesslog.RequestID, s.rid)
	r.SetClientAddr(s.clientIP(t, ctx)) // its text written by the log's writer
	r.Set(accesslog.Method, h.Method())
	r.Set(accesslog.Proto, h.Protocol())
	r.Set(accesslog.Host, h.Host())
	r.Set(accesslog.Path, o.Path)
	uri := h.RequestURI()
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		r.Set(accesslog.Query, uri[i+1:])
	}
	r.Set(accesslog.UserAgent, h.UserAgent())
	r.Set(accesslog.Referer, h.Referer())
}

var (
	upstreamNames = [4]string{metrics.SourceNone: "gateway", metrics.SourceBackend: "", metrics.SourceApp: "app", metrics.SourceCache: "cache"}
	cacheNames    = [4]string{"", "HIT", "MISS", "BYPASS"}
)

// tlsVersionName is the request's TLS version, "" over plain HTTP.
func tlsVersionName(ctx *fasthttp.RequestCtx) string {
	if !ctx.IsTLS() {
		return ""
	}
	c, ok := ctx.Conn().(connTLS)
	if !ok {
		return "TLS"
	}
	switch c.ConnectionState().Version {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	}
	return "TLS"
}

// wsLog is a WebSocket session's record, kept from its 101 until it
// closes (one allocation per session, as the relay itself makes).
type wsLog struct {
	g   *Gateway
	rec accesslog.Record
}

// newWSLog returns the record of an upgrade about to be relayed, nil
// without an access log.
func (g *Gateway) newWSLog(s *scratch) *wsLog {
	if g.alog.Load() == nil {
		return nil
	}
	w := &wsLog{g: g}
	s.wsLog = w
	return w
}

// closed logs the session when the relay ends: its whole length and the
// bytes each way.
func (w *wsLog) closed(d time.Duration, in, out uint64) {
	l := w.g.alog.Load()
	if l == nil {
		return
	}
	r := l.Begin()
	if r == nil {
		return
	}
	r.CopyFrom(&w.rec)
	r.Duration += d
	r.BytesIn, r.BytesOut = int64(in), int64(out)
	l.Commit(r)
}
