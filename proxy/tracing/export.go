package tracing

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// run is the exporter goroutine: it drains the ring every BatchInterval,
// or as soon as a quarter of it filled (the request that closes the
// quarter wakes it: a busy gateway is drained long before the ring is
// full, an idle one costs a timer), and exports the spans in batches.
// At Shutdown it drains what was committed before and exports it.
func (t *Tracer) run() {
	defer close(t.done)
	b := newBatch(t)
	tick := time.NewTicker(BatchInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-t.wake:
		case <-t.stop:
			t.drain(b)
			return
		}
		t.drain(b)
	}
}

// drain turns every committed record into spans, exported BatchSize at
// most per call.
func (t *Tracer) drain(b *batch) {
	for r := t.ring.Peek(); r != nil; r = t.ring.Peek() {
		if len(b.ro)+1+int(r.nAttempts) > BatchSize {
			t.export(b)
		}
		b.add(r)
		t.ring.Release()
	}
	t.export(b)
}

// export posts the batch's spans through the OTLP exporter. A failure
// goes to the error handler (LogErrors) and counts the spans as dropped.
func (t *Tracer) export(b *batch) {
	if len(b.ro) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(t.ctx, ExportTimeout)
	err := t.exp.ExportSpans(ctx, b.ro)
	cancel()
	if err != nil {
		t.dropped.Add(uint64(len(b.ro)))
		otel.Handle(err)
	}
	b.reset()
}

// batch is the spans of one export call. Its views (and their attribute
// slices) are reused from one batch to the next; only the strings copied
// out of the records are new.
type batch struct {
	t     *Tracer
	views []spanView
	ro    []sdktrace.ReadOnlySpan // &views[i], as the exporter takes them
}

func newBatch(t *Tracer) *batch {
	return &batch{t: t, views: make([]spanView, BatchSize), ro: make([]sdktrace.ReadOnlySpan, 0, BatchSize)}
}

func (b *batch) reset() {
	clear(b.ro) // the views stay, for the next batch
	b.ro = b.ro[:0]
}

// next is the batch's next view, emptied.
func (b *batch) next() *spanView {
	v := &b.views[len(b.ro)]
	attrs := v.attrs[:0]
	*v = spanView{attrs: attrs, res: b.t.res, scope: b.t.scope}
	b.ro = append(b.ro, v)
	return v
}

// add appends r's server span and its attempt spans, with the attributes
// the HTTP semantic conventions give them.
func (b *batch) add(r *record) {
	h := &r.head
	var ts trace.TraceState
	if s := r.get(h.text[textTracestate]); len(s) > 0 {
		ts, _ = trace.ParseTraceState(string(s))
	}
	server := trace.NewSpanContext(trace.SpanContextConfig{TraceID: h.traceID, SpanID: h.spanID,
		TraceFlags: trace.TraceFlags(h.flags), TraceState: ts})
	v := b.next()
	if h.parentID != [8]byte{} {
		v.parent = trace.NewSpanContext(trace.SpanContextConfig{TraceID: h.traceID, SpanID: h.parentID,
			TraceFlags: trace.TraceFlags(h.parentFlags), TraceState: ts, Remote: true})
	}
	v.sc, v.kind, v.children = server, trace.SpanKindServer, int(h.nAttempts)
	v.start, v.end = time.Unix(0, h.start), time.Unix(0, h.end)
	v.name = h.method
	v.attrs = append(v.attrs, semconv.HTTPRequestMethodKey.String(h.method))
	if h.route != "" {
		v.name += " " + h.route
		v.attrs = append(v.attrs, semconv.HTTPRoute(h.route))
	}
	v.attrs = append(v.attrs,
		semconv.URLPath(string(r.get(h.text[textPath]))),
		semconv.URLScheme(h.scheme),
		semconv.ServerAddress(string(r.get(h.text[textHost]))),
		semconv.ClientAddress(h.client.String()),
		semconv.NetworkProtocolVersion(h.proto)) // network.protocol.name is left out: "http" is its default
	if ua := r.get(h.text[textUserAgent]); len(ua) > 0 {
		v.attrs = append(v.attrs, semconv.UserAgentOriginal(string(ua)))
	}
	v.attrs = append(v.attrs, semconv.HTTPResponseStatusCode(int(h.status)))
	if h.status >= 500 {
		v.attrs = append(v.attrs, errorType(int(h.status)))
		v.status = sdktrace.Status{Code: codes.Error}
	}

	for i := range h.attempts[:h.nAttempts] {
		a := &h.attempts[i]
		c := b.next()
		c.sc = trace.NewSpanContext(trace.SpanContextConfig{TraceID: h.traceID, SpanID: a.spanID,
			TraceFlags: trace.TraceFlags(h.flags), TraceState: ts})
		c.parent, c.kind, c.name = server, trace.SpanKindClient, a.method
		c.start, c.end = time.Unix(0, a.start), time.Unix(0, a.end)
		c.attrs = append(c.attrs, semconv.HTTPRequestMethodKey.String(a.method),
			semconv.ServerAddress(a.address), semconv.ServerPort(int(a.port)),
			semconv.URLFull(a.scheme+a.addr+string(r.get(a.target))))
		if a.resend > 0 {
			c.attrs = append(c.attrs, semconv.HTTPRequestResendCount(int(a.resend)))
		}
		switch {
		case a.errType != "":
			c.attrs = append(c.attrs, semconv.ErrorTypeKey.String(a.errType))
			c.status = sdktrace.Status{Code: codes.Error, Description: a.errType}
		case a.status >= 400: // a client span's 4xx is an error too
			c.attrs = append(c.attrs, semconv.HTTPResponseStatusCode(int(a.status)), errorType(int(a.status)))
			c.status = sdktrace.Status{Code: codes.Error}
		case a.status > 0:
			c.attrs = append(c.attrs, semconv.HTTPResponseStatusCode(int(a.status)))
		}
	}
}

// errorType is error.type for a status the conventions count as an error.
func errorType(status int) attribute.KeyValue {
	return semconv.ErrorTypeKey.String(strconv.Itoa(status))
}
