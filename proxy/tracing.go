package proxy

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/tracing"
	"github.com/premier-gateway/premier/resilience"
)

// W3C Trace Context headers (proxy/tracing reads and writes their values).
const (
	hdrTraceparent = "traceparent"
	hdrTracestate  = "tracestate"
)

// traceState is one request's trace context in its scratch memory.
type traceState struct {
	req tracing.Request
	hdr *fasthttp.RequestHeader // the request the backends get
	tp  []byte                  // the traceparent an attempt sends
}

// beginTrace runs when the rule is known, before any policy: it vets the
// client's trace context, which the backends get whatever the tracing
// block says (a malformed traceparent, and a tracestate without a valid
// one or over its bounds, are dropped, as Trace Context §4.3 says a
// receiver must), and, when t exports spans and the head sampling
// decision says so, starts the request's server span. A request not
// sampled costs two header look-ups and allocates nothing.
func (g *Gateway) beginTrace(t *table, ctx *fasthttp.RequestCtx, s *scratch, p *plan, start time.Time) {
	ts := &s.trace
	ts.req.Reset()
	h := &ctx.Request.Header
	ts.hdr = h
	var parent tracing.Parent
	tp := h.Peek(hdrTraceparent)
	has := len(tp) > 0 && tracing.ParseTraceparent(tp, &parent)
	var state []byte
	if has {
		if state = h.Peek(hdrTracestate); len(state) > 0 {
			n, ok := tracing.TracestateKeep(state)
			switch {
			case !ok || n == 0:
				h.Del(hdrTracestate)
				state = nil
			case n < len(state):
				state = state[:n]
				h.SetBytesV(hdrTracestate, state)
			}
		}
	} else {
		if len(tp) > 0 {
			h.Del(hdrTraceparent) // malformed: the trace restarts here, or nowhere
		}
		if len(h.Peek(hdrTracestate)) > 0 {
			h.Del(hdrTracestate) // means nothing without a valid traceparent
		}
	}
	tr := t.tracer
	if tr == nil || !tr.Decide(&parent, has) {
		return
	}
	route := p.name
	if p.index < 0 {
		route = "" // default_features: no rule's pattern to name
	}
	scheme, proto := "http", "1.1"
	if ctx.IsTLS() {
		scheme = "https"
	}
	if !h.IsHTTP11() {
		proto = "1.0"
	}
	tr.Start(&ts.req, &parent, has, state, &tracing.Server{
		Method: h.Method(), Route: route, Path: s.path, Scheme: scheme, Host: h.Host(),
		Client: t.trusted.ClientIP(ctx).String(), Proto: proto, UserAgent: h.UserAgent(), Start: start,
	})
}

// traceAttempt starts the client span of an attempt to backend i of a
// sampled request and gives the backend its traceparent: this attempt's
// span is the backend's parent. n is the attempt's number (1: the first).
func (ts *traceState) traceAttempt(p *plan, i, n int, began time.Time) {
	if !ts.req.Recording() || i >= len(p.backends) {
		return
	}
	b := p.backends[i]
	host, port := splitHostPort(b.Target.Addr)
	target := ts.hdr.RequestURI()
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		target = target[:q] // the query may hold credentials
	}
	ts.tp = ts.req.StartAttempt(&tracing.Attempt{
		Method: ts.hdr.Method(), Address: host, Port: port,
		URL: backendScheme(b.Target.TLS) + b.Target.Addr + string(target), Resend: n - 1, Start: began,
	}, ts.tp[:0])
	ts.hdr.SetBytesV(hdrTraceparent, ts.tp)
}

// endAttempt ends the attempt's span with its status or failure.
func (ts *traceState) endAttempt(status int, err error) {
	if !ts.req.Recording() {
		return
	}
	kind := ""
	if err != nil {
		kind = resilience.Classify(err).String()
	}
	ts.req.EndAttempt(status, kind, time.Now())
}

func backendScheme(tls bool) string {
	if tls {
		return "https://"
	}
	return "http://"
}

// splitHostPort splits a backend's host:port (always with a port).
func splitHostPort(addr string) (string, int) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			port, _ := strconv.Atoi(addr[i+1:])
			host := addr[:i]
			if len(host) > 1 && host[0] == '[' {
				host = host[1 : len(host)-1]
			}
			return host, port
		}
	}
	return addr, 0
}

// openTracer starts the exporter of c's tracing block, or returns nil when
// it exports nothing. A tracer that cannot start is logged and left out:
// tracing never stops the gateway from serving.
func (g *Gateway) openTracer(c tracing.Config) *tracing.Tracer {
	if !c.Enabled() {
		return nil
	}
	tr, err := tracing.New(c, Version)
	if err != nil {
		g.log.Error("tracing: the OTLP exporter did not start; spans are not exported", slog.String("error", err.Error()))
		return nil
	}
	return tr
}

// keepTracer gives t the running tracer when the tracing block did not
// change, else a new one; it returns the tracer to retire (nil: none).
func (g *Gateway) keepTracer(old, t *table) *tracing.Tracer {
	if old.tracer != nil && reflect.DeepEqual(old.loaded.Config.Tracing, t.loaded.Config.Tracing) {
		t.tracer = old.tracer
		return nil
	}
	if old.tracer == nil && !t.loaded.Config.Tracing.Enabled() {
		return nil
	}
	t.tracer = g.openTracer(t.loaded.Config.Tracing)
	return old.tracer
}

// shutdownTracer exports what tr still holds (within traceFlushTimeout)
// and stops it. Requests still in flight on the old table end their spans
// into a stopped tracer, which drops them.
func (g *Gateway) shutdownTracer(tr *tracing.Tracer) {
	if tr == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), traceFlushTimeout)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		g.log.Warn("tracing: spans lost at shutdown", slog.String("error", err.Error()))
	}
}

// traceFlushTimeout bounds the export of the spans still queued when a
// tracer stops.
const traceFlushTimeout = 5 * time.Second
