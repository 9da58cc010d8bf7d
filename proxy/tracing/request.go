package tracing

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Request is one request's spans, kept in the request's scratch memory.
// Its zero value records nothing (a request not sampled, or no Tracer):
// every method is then a nil check.
type Request struct {
	tracer  trace.Tracer
	ctx     context.Context
	span    trace.Span // the server span: the whole request in the gateway
	attempt trace.Span // the client span of the attempt in progress
}

// Recording reports whether the request is sampled and has its span.
func (r *Request) Recording() bool { return r.span != nil }

// Reset forgets the previous request's spans.
func (r *Request) Reset() { *r = Request{} }

// Server describes the request for its server span, as the HTTP semantic
// conventions name its attributes.
type Server struct {
	Method    []byte
	Route     string // the rule's pattern; "" for a request no rule matched
	Path      []byte
	Scheme    string // "http" or "https"
	Host      []byte
	Client    string // the client address
	Proto     string // "1.0", "1.1", "2"
	UserAgent []byte
	Start     time.Time
}

// Start begins the server span of a sampled request (Decide said so) as
// a child of parent when hasParent, with its tracestate.
func (t *Tracer) Start(r *Request, parent *Parent, hasParent bool, tracestate []byte, s *Server) {
	ctx := context.Background()
	if hasParent {
		cfg := trace.SpanContextConfig{TraceID: parent.TraceID, SpanID: parent.SpanID,
			TraceFlags: trace.TraceFlags(parent.Flags), Remote: true}
		if len(tracestate) > 0 {
			cfg.TraceState, _ = trace.ParseTraceState(string(tracestate))
		}
		ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(cfg))
	}
	method := semconvMethod(s.Method)
	name := method
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, semconv.HTTPRequestMethodKey.String(method))
	if s.Route != "" {
		name += " " + s.Route
		attrs = append(attrs, semconv.HTTPRoute(s.Route))
	}
	attrs = append(attrs,
		semconv.URLPath(string(s.Path)),
		semconv.URLScheme(s.Scheme),
		semconv.ServerAddress(hostOnly(string(s.Host))),
		semconv.ClientAddress(s.Client),
		semconv.NetworkProtocolVersion(s.Proto)) // network.protocol.name is left out: "http" is its default
	if len(s.UserAgent) > 0 {
		attrs = append(attrs, semconv.UserAgentOriginal(string(s.UserAgent)))
	}
	r.tracer = t.tracer
	r.ctx, r.span = t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(s.Start), trace.WithAttributes(attrs...))
}

// End ends the server span with the answer's status: an error for 5xx,
// the gateway's own answers included (§ server spans: 4xx are the
// client's).
func (r *Request) End(status int, end time.Time) {
	if r.span == nil {
		return
	}
	r.endAttempt(0, "", end) // a panic can leave one open
	if status >= 500 {
		r.span.SetAttributes(semconv.HTTPResponseStatusCode(status), semconv.ErrorTypeKey.String(strconv.Itoa(status)))
		r.span.SetStatus(codes.Error, "")
	} else {
		r.span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	}
	r.span.End(trace.WithTimestamp(end))
	*r = Request{}
}

// Attempt describes one attempt to a backend for its client span.
type Attempt struct {
	Method  []byte
	Address string // the backend's host
	Port    int
	URL     string // the backend URL and the path sent (no query: it may hold credentials)
	Resend  int    // 0 for the first attempt, then 1, 2…
	Start   time.Time
}

// StartAttempt begins the client span of one attempt, a child of the
// request's span, and returns the traceparent the backend gets: its
// parent is this attempt.
func (r *Request) StartAttempt(a *Attempt, dst []byte) []byte {
	if r.span == nil {
		return dst
	}
	r.endAttempt(0, "", a.Start)
	method := semconvMethod(a.Method)
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs, semconv.HTTPRequestMethodKey.String(method),
		semconv.ServerAddress(a.Address), semconv.ServerPort(a.Port), semconv.URLFull(a.URL))
	if a.Resend > 0 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(a.Resend))
	}
	_, r.attempt = r.tracer.Start(r.ctx, method,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(a.Start), trace.WithAttributes(attrs...))
	sc := r.attempt.SpanContext()
	return AppendTraceparent(dst, sc.TraceID(), sc.SpanID(), byte(sc.TraceFlags()))
}

// EndAttempt ends the attempt's span with the backend's status, or with
// errType (a short failure class: "timeout", "connection") when it gave
// none.
func (r *Request) EndAttempt(status int, errType string, end time.Time) {
	r.endAttempt(status, errType, end)
}

func (r *Request) endAttempt(status int, errType string, end time.Time) {
	if r.attempt == nil {
		return
	}
	switch {
	case errType != "":
		r.attempt.SetAttributes(semconv.ErrorTypeKey.String(errType))
		r.attempt.SetStatus(codes.Error, errType)
	case status >= 400: // a client span's 4xx is an error too
		r.attempt.SetAttributes(semconv.HTTPResponseStatusCode(status), semconv.ErrorTypeKey.String(strconv.Itoa(status)))
		r.attempt.SetStatus(codes.Error, "")
	case status > 0:
		r.attempt.SetAttributes(semconv.HTTPResponseStatusCode(status))
	}
	r.attempt.End(trace.WithTimestamp(end))
	r.attempt = nil
}

// semconvMethod is the method as the conventions want it: a known one as
// sent, any other "_OTHER".
func semconvMethod(m []byte) string {
	switch string(m) {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY":
		return string(m)
	}
	return "_OTHER"
}

// hostOnly drops a port from a Host value.
func hostOnly(h string) string {
	if i := len(h) - 1; i > 0 {
		for j := i; j >= 0; j-- {
			switch h[j] {
			case ':':
				return h[:j]
			case ']':
				return h
			}
		}
	}
	return h
}
