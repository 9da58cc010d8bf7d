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

// canonTraceparent is traceparent as the request holds its name (fasthttp
// normalises names), for the lookup every request makes.
var canonTraceparent = []byte("Traceparent")

// traceState is one request's trace context in its scratch memory.
type traceState struct {
	req   tracing.Request
	hdr   *fasthttp.RequestHeader // the request the backends get
	tp    []byte                  // the traceparent an attempt sends
	state []byte                  // several tracestate lines joined into one
}

// beginTrace runs when the rule is known, before any policy: it vets the
// client's trace context, which the backends get whatever the tracing
// block says (a malformed traceparent, with its tracestate, and a
// malformed tracestate are dropped, as Trace Context §4.3 says a
// receiver must; a tracestate over its bounds is cut), and, when t
// exports spans and the head sampling decision says so, starts the
// request's server span. A request not sampled costs one header scan (two
// with a traceparent) and allocates nothing.
func (g *Gateway) beginTrace(t *table, ctx *fasthttp.RequestCtx, s *scratch, p *plan, start time.Time) {
	ts := &s.trace
	ts.req.Reset()
	h := &ctx.Request.Header
	ts.hdr = h
	var parent tracing.Parent
	var tps [][]byte
	if h.PeekCanonical(canonTraceparent) != nil {
		tps = h.PeekAll(hdrTraceparent)
	}
	// Two traceparent lines are as malformed as a bad one (§3.2).
	has := len(tps) == 1 && tracing.ParseTraceparent(tps[0], &parent)
	if !has && len(tps) > 0 {
		h.Del(hdrTraceparent) // the trace restarts here, or nowhere
	}
	// Without any traceparent the common case costs one header scan: a
	// lone tracestate is left alone unless the trace starts here.
	var state []byte
	if len(tps) > 0 {
		state = ts.vetTracestate(h, has)
	}
	tr := t.tracer
	if tr == nil || !tr.Decide(&parent, has) {
		return
	}
	if len(tps) == 0 {
		h.Del(hdrTracestate) // the gateway's trace has no tracestate of its own
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
		Client: s.clientIP(t, ctx), Proto: proto, UserAgent: h.UserAgent(), Start: start,
	})
}

// vetTracestate leaves the request with at most one tracestate line, the
// client's lines joined (§3.3.1.1 allows several) and within bounds, and
// returns it; none when the traceparent is not valid (has false) or the
// value is malformed.
func (ts *traceState) vetTracestate(h *fasthttp.RequestHeader, has bool) []byte {
	lines := h.PeekAll(hdrTracestate)
	if len(lines) == 0 {
		return nil
	}
	if !has {
		h.Del(hdrTracestate) // means nothing without a valid traceparent
		return nil
	}
	state := lines[0]
	if len(lines) > 1 {
		ts.state = ts.state[:0]
		for i, l := range lines {
			if i > 0 {
				ts.state = append(ts.state, ',')
			}
			ts.state = append(ts.state, l...)
		}
		state = ts.state
	}
	n, ok := tracing.TracestateKeep(state)
	switch {
	case !ok || n == 0:
		h.Del(hdrTracestate)
		return nil
	case n < len(state) || len(lines) > 1:
		state = append(ts.state[:0], state[:n]...) // off the header's own bytes before they change
		ts.state = state
		h.Del(hdrTracestate)
		h.SetBytesV(hdrTracestate, state)
	}
	return state
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
		Method: ts.hdr.Method(), Address: host, Port: port, Scheme: backendScheme(b.Target.TLS),
		Addr: b.Target.Addr, Target: target, Resend: n - 1, Start: began,
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
	tracing.LogErrors(func(err error) { g.log.Warn("tracing: export", slog.String("error", err.Error())) })
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

// TracingDropped is how many sampled spans were not exported since start
// (tracing.Tracer.Dropped, the tracers a reload retired included).
func (g *Gateway) TracingDropped() uint64 {
	n := g.traceDropped.Load()
	if t := g.cur.Load(); t != nil && t.tracer != nil {
		n += t.tracer.Dropped()
	}
	return n
}

// traceFlushTimeout bounds the export of the spans still queued when a
// tracer stops.
const traceFlushTimeout = 5 * time.Second
