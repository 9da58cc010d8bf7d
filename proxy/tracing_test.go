package proxy

import (
	"bytes"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/premier-gateway/premier/internal/otlptest"
	"github.com/premier-gateway/premier/proxy/tracing"
)

// traceBackend records the trace context headers of every request it gets
// and answers 200, or 503 while fail is above zero.
type traceBackend struct {
	mu   sync.Mutex
	seen [][2]string // traceparent, tracestate ("" when absent)
	fail int
}

func (b *traceBackend) handle(ctx *fasthttp.RequestCtx) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, [2]string{string(ctx.Request.Header.Peek("traceparent")), string(ctx.Request.Header.Peek("tracestate"))})
	if b.fail > 0 {
		b.fail--
		ctx.SetStatusCode(503)
		return
	}
	ctx.SetBodyString("ok")
}

func (b *traceBackend) last(t *testing.T) (traceparent, tracestate string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.seen) == 0 {
		t.Fatal("the backend got no request")
	}
	s := b.seen[len(b.seen)-1]
	return s[0], s[1]
}

const (
	inTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	inSpanID  = "00f067aa0ba902b7"
)

func tracingYAML(backend, endpoint string, ratio string) string {
	return configYAML(backend, `  tracing:
    otlp_endpoint: "`+endpoint+`"
    sample_ratio: `+ratio+`
    service_name: edge-test
    headers: {X-Api-Key: secret-key}
  paths:
    - pattern: /users/{id}
      features:
        retry: {max_attempts: 2, wait: 0, on_status: [503]}
`)
}

// TestTracingExportsSampledRequest: a sampled traceparent keeps its trace
// ID to the backend, whose parent is the gateway's attempt span; the
// receiver gets the server span (child of the caller's span, with the
// rule's pattern as http.route) and a client span per attempt — two for a
// retried request, the second with its resend count.
func TestTracingExportsSampledRequest(t *testing.T) {
	recv := otlptest.Start(t)
	be := &traceBackend{}
	h := startGateway(t, tracingYAML(startBackend(t, be.handle), recv.URL, "0"))

	in := "00-" + inTraceID + "-" + inSpanID + "-01"
	resp, _ := do(t, "GET", h.url+"/users/42?token=x", nil, map[string]string{"traceparent": in, "tracestate": "vendor=abc,other=1"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	tp, ts := be.last(t)
	var got tracing.Parent
	if !tracing.ParseTraceparent([]byte(tp), &got) || hex.EncodeToString(got.TraceID[:]) != inTraceID || !got.Sampled() {
		t.Fatalf("backend traceparent %q: want trace %s, sampled", tp, inTraceID)
	}
	if hex.EncodeToString(got.SpanID[:]) == inSpanID {
		t.Fatalf("backend traceparent %q: the parent is the caller's span, not the gateway's", tp)
	}
	if ts != "vendor=abc,other=1" {
		t.Fatalf("backend tracestate %q", ts)
	}

	be.mu.Lock()
	be.fail = 1
	be.mu.Unlock()
	if resp, _ := do(t, "POST", h.url+"/users/7", strings.NewReader("x"), map[string]string{"traceparent": "00-" + strings.Repeat("ab", 16) + "-" + inSpanID + "-01"}); resp.StatusCode != 503 {
		// POST is not repeatable: one attempt, the 503 stands.
		t.Fatalf("POST status %d", resp.StatusCode)
	}
	be.mu.Lock()
	be.fail = 1
	be.mu.Unlock()
	retried := "00-" + strings.Repeat("cd", 16) + "-" + inSpanID + "-01"
	if resp, _ := do(t, "GET", h.url+"/users/8", nil, map[string]string{"traceparent": retried}); resp.StatusCode != 200 {
		t.Fatalf("retried GET status %d", resp.StatusCode)
	}

	h.gw.Close() // flushes the batch
	spans := recv.Spans()
	byTrace := map[string][]otlptest.Span{}
	for _, s := range spans {
		byTrace[hex.EncodeToString(s.TraceId)] = append(byTrace[hex.EncodeToString(s.TraceId)], s)
	}
	first := byTrace[inTraceID]
	server, clients := splitSpans(t, first)
	if len(clients) != 1 {
		t.Fatalf("first request: %d attempt spans, want 1", len(clients))
	}
	if hex.EncodeToString(server.ParentSpanId) != inSpanID || server.Service != "edge-test" {
		t.Fatalf("server span parent %x service %q", server.ParentSpanId, server.Service)
	}
	if server.Name != "GET /users/{id}" {
		t.Fatalf("server span name %q", server.Name)
	}
	wantAttrs(t, server.Span, map[string]any{"http.request.method": "GET", "http.route": "/users/{id}",
		"http.response.status_code": int64(200), "url.path": "/users/42"})
	if !bytes.Equal(clients[0].ParentSpanId, server.SpanId) {
		t.Fatal("the attempt span is not the server span's child")
	}
	if hex.EncodeToString(clients[0].SpanId) != hex.EncodeToString(got.SpanID[:]) {
		t.Fatalf("the backend's parent %x is not the attempt span %x", got.SpanID, clients[0].SpanId)
	}
	wantAttrs(t, clients[0].Span, map[string]any{"http.request.method": "GET", "server.address": "127.0.0.1",
		"http.response.status_code": int64(200)})
	if u, _ := otlptest.Attr(clients[0].Span, "url.full"); strings.Contains(u.(string), "token") {
		t.Fatalf("url.full %q carries the query", u)
	}

	server, clients = splitSpans(t, byTrace[strings.Repeat("cd", 16)])
	if len(clients) != 2 {
		t.Fatalf("retried request: %d attempt spans, want 2", len(clients))
	}
	wantAttrs(t, clients[0].Span, map[string]any{"http.response.status_code": int64(503)})
	wantAttrs(t, clients[1].Span, map[string]any{"http.response.status_code": int64(200), "http.request.resend_count": int64(1)})
	if clients[0].Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Fatal("the failed attempt's span is not an error")
	}
	for _, c := range clients {
		if !bytes.Equal(c.ParentSpanId, server.SpanId) {
			t.Fatal("an attempt span is not the server span's child")
		}
	}
	server, _ = splitSpans(t, byTrace[strings.Repeat("ab", 16)])
	if server.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Fatal("a 503 answer's server span is not an error")
	}
	if hs := recv.Headers(); len(hs) == 0 || hs[0].Get("X-Api-Key") != "secret-key" {
		t.Fatal("the export requests lack the configured headers")
	}
}

// TestTracingUnsampledExportsNothing: a caller's unsampled traceparent goes
// to the backend unchanged and nothing is exported; without one, ratio 0
// samples nothing and the backend gets no traceparent.
func TestTracingUnsampledExportsNothing(t *testing.T) {
	recv := otlptest.Start(t)
	be := &traceBackend{}
	h := startGateway(t, tracingYAML(startBackend(t, be.handle), recv.URL, "0"))
	in := "00-" + inTraceID + "-" + inSpanID + "-00"
	do(t, "GET", h.url+"/users/1", nil, map[string]string{"traceparent": in, "tracestate": "a=b"})
	if tp, ts := be.last(t); tp != in || ts != "a=b" {
		t.Fatalf("backend got %q %q, want the caller's unchanged", tp, ts)
	}
	do(t, "GET", h.url+"/users/2", nil, nil)
	if tp, _ := be.last(t); tp != "" {
		t.Fatalf("backend got traceparent %q for an unsampled new trace", tp)
	}
	h.gw.Close()
	if n := len(recv.Spans()); n != 0 {
		t.Fatalf("%d spans exported for unsampled requests", n)
	}
}

// TestTracingMalformedTraceparent: tracing off, a malformed traceparent
// (and the tracestate that came with it) is dropped; tracing on with
// ratio 1, the trace restarts at the gateway with a new trace ID.
func TestTracingMalformedTraceparent(t *testing.T) {
	be := &traceBackend{}
	backend := startBackend(t, be.handle)
	off := startGateway(t, configYAML(backend, ""))
	for _, bad := range []string{
		"00-" + strings.ToUpper(inTraceID) + "-" + inSpanID + "-01", // upper case
		"00-" + strings.Repeat("0", 32) + "-" + inSpanID + "-01",    // zero trace ID
		"00-" + inTraceID + "-" + strings.Repeat("0", 16) + "-01",   // zero parent
		"ff-" + inTraceID + "-" + inSpanID + "-01",                  // version ff
		"00-" + inTraceID + "-" + inSpanID + "-01-extra",            // version 00 with more
		"00-" + inTraceID + "-" + inSpanID,                          // short
	} {
		do(t, "GET", off.url+"/x", nil, map[string]string{"traceparent": bad, "tracestate": "a=b"})
		if tp, ts := be.last(t); tp != "" || ts != "" {
			t.Errorf("%q: backend got %q %q, want both dropped", bad, tp, ts)
		}
	}
	future := "01-" + inTraceID + "-" + inSpanID + "-01-later"
	do(t, "GET", off.url+"/x", nil, map[string]string{"traceparent": future})
	if tp, _ := be.last(t); tp != future {
		t.Errorf("a later version's traceparent %q came through as %q", future, tp)
	}
	// A lone tracestate belongs to no trace the gateway knows: left alone
	// while the gateway starts none.
	do(t, "GET", off.url+"/x", nil, map[string]string{"tracestate": "a=b"})
	if _, ts := be.last(t); ts != "a=b" {
		t.Errorf("a lone tracestate reached the backend as %q", ts)
	}

	recv := otlptest.Start(t)
	on := startGateway(t, tracingYAML(backend, recv.URL, "1"))
	do(t, "GET", on.url+"/x", nil, map[string]string{"traceparent": "00-" + strings.ToUpper(inTraceID) + "-" + inSpanID + "-01"})
	tp, _ := be.last(t)
	var p tracing.Parent
	if !tracing.ParseTraceparent([]byte(tp), &p) || hex.EncodeToString(p.TraceID[:]) == inTraceID || !p.Sampled() {
		t.Fatalf("backend traceparent %q: want a new sampled trace", tp)
	}
	do(t, "GET", on.url+"/x", nil, map[string]string{"tracestate": "a=b"})
	if tp, ts := be.last(t); tp == "" || ts != "" {
		t.Fatalf("a trace started at the gateway sent %q %q, want its traceparent and no tracestate", tp, ts)
	}
	on.gw.Close()
	spans := recv.Spans()
	if len(spans) != 4 || len(spans[0].ParentSpanId) != 0 && len(spans[1].ParentSpanId) != 0 {
		t.Fatalf("want two root server spans and their attempts, got %d spans", len(spans))
	}
}

// TestTracingTracestateBounds: a tracestate over 512 bytes loses its last
// members; a malformed one is dropped.
func TestTracingTracestateBounds(t *testing.T) {
	be := &traceBackend{}
	h := startGateway(t, configYAML(startBackend(t, be.handle), ""))
	in := "00-" + inTraceID + "-" + inSpanID + "-01"
	var members []string
	for i := 0; i < 20; i++ {
		members = append(members, "k"+string(rune('a'+i))+"="+strings.Repeat("v", 40))
	}
	long := strings.Join(members, ",")
	do(t, "GET", h.url+"/x", nil, map[string]string{"traceparent": in, "tracestate": long})
	_, ts := be.last(t)
	if len(ts) > tracing.MaxTracestate || !strings.HasPrefix(long, ts) || len(ts) < 400 || strings.HasSuffix(ts, ",") {
		t.Fatalf("tracestate of %d bytes passed on as %d: %q", len(long), len(ts), ts)
	}
	do(t, "GET", h.url+"/x", nil, map[string]string{"traceparent": in, "tracestate": "Upper=1"})
	if _, ts := be.last(t); ts != "" {
		t.Fatalf("malformed tracestate passed on: %q", ts)
	}

	// Several tracestate lines are one list (§3.3.1.1): joined, vetted as a
	// whole, sent as one line. Two traceparent lines are malformed.
	be.mu.Lock()
	be.seen = nil
	be.mu.Unlock()
	lines := "GET /x HTTP/1.1\r\nHost: a\r\ntraceparent: " + in + "\r\ntracestate: a=1\r\ntracestate: b=2\r\nConnection: close\r\n\r\n"
	if resp := rawRequest(t, h.addr, lines); !strings.HasPrefix(resp, "HTTP/1.1 200") {
		t.Fatalf("answer %q", resp)
	}
	if tp, ts := be.last(t); tp != in || ts != "a=1,b=2" {
		t.Fatalf("two tracestate lines reached the backend as %q %q", tp, ts)
	}
	bad := "GET /x HTTP/1.1\r\nHost: a\r\ntraceparent: " + in + "\r\ntracestate: a=1\r\ntracestate: B=2\r\nConnection: close\r\n\r\n"
	rawRequest(t, h.addr, bad)
	if _, ts := be.last(t); ts != "" {
		t.Fatalf("a malformed second tracestate line let %q through", ts)
	}
	two := "GET /x HTTP/1.1\r\nHost: a\r\ntraceparent: " + in + "\r\ntraceparent: " + in + "\r\ntracestate: a=1\r\nConnection: close\r\n\r\n"
	rawRequest(t, h.addr, two)
	if tp, ts := be.last(t); tp != "" || ts != "" {
		t.Fatalf("two traceparent lines reached the backend as %q %q", tp, ts)
	}
}

// TestTracingReloadReplacesExporter: a reload that changes the tracing
// block flushes the old exporter and sends later spans to the new one; one
// that turns it off stops exporting.
func TestTracingReloadReplacesExporter(t *testing.T) {
	a, b := otlptest.Start(t), otlptest.Start(t)
	be := &traceBackend{}
	backend := startBackend(t, be.handle)
	h := startGateway(t, tracingYAML(backend, a.URL, "1"))
	do(t, "GET", h.url+"/users/1", nil, nil)
	if err := h.gw.reloadBytes("test.yaml", []byte(tracingYAML(backend, b.URL, "1"))); err != nil {
		t.Fatal(err)
	}
	h.gw.retiring.Wait() // the old exporter flushed
	if n := len(a.Spans()); n != 2 {
		t.Fatalf("the replaced exporter delivered %d spans, want 2", n)
	}
	do(t, "GET", h.url+"/users/2", nil, nil)
	if err := h.gw.reloadBytes("test.yaml", []byte(configYAML(backend, ""))); err != nil {
		t.Fatal(err)
	}
	h.gw.retiring.Wait()
	if n := len(b.Spans()); n != 2 {
		t.Fatalf("the new exporter delivered %d spans, want 2", n)
	}
	if h.gw.cur.Load().tracer != nil {
		t.Fatal("a config without otlp_endpoint kept a tracer")
	}
}

// splitSpans returns a trace's server span and its client spans in start
// order.
func splitSpans(t *testing.T, spans []otlptest.Span) (server otlptest.Span, clients []otlptest.Span) {
	t.Helper()
	found := false
	for _, s := range spans {
		switch s.Kind {
		case tracepb.Span_SPAN_KIND_SERVER:
			server, found = s, true
		case tracepb.Span_SPAN_KIND_CLIENT:
			clients = append(clients, s)
		}
	}
	if !found {
		t.Fatalf("no server span among %d", len(spans))
	}
	for i := 1; i < len(clients); i++ {
		for j := i; j > 0 && clients[j].StartTimeUnixNano < clients[j-1].StartTimeUnixNano; j-- {
			clients[j], clients[j-1] = clients[j-1], clients[j]
		}
	}
	return server, clients
}

func wantAttrs(t *testing.T, s *tracepb.Span, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got, ok := otlptest.Attr(s, k); !ok || got != v {
			t.Errorf("span %q: %s = %v (%v), want %v", s.Name, k, got, ok, v)
		}
	}
}

// TestTracingRetriedRequestSpans: a request retried twice exports one
// client span per attempt, each the server span's child, each the parent
// the backend got in its traceparent, the retries with their
// http.request.resend_count.
func TestTracingRetriedRequestSpans(t *testing.T) {
	recv := otlptest.Start(t)
	be := &traceBackend{fail: 2}
	h := startGateway(t, configYAML(startBackend(t, be.handle), `  tracing: {otlp_endpoint: "`+recv.URL+`", sample_ratio: 1}
  paths:
    - pattern: /users/{id}
      features:
        retry: {max_attempts: 3, wait: 0, on_status: [503]}
`))
	if resp, _ := do(t, "GET", h.url+"/users/8", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	h.gw.Close()
	server, clients := splitSpans(t, recv.Spans())
	if len(clients) != 3 || len(server.ParentSpanId) != 0 {
		t.Fatalf("%d attempt spans, want 3; server parent %x", len(clients), server.ParentSpanId)
	}
	be.mu.Lock()
	seen := append([][2]string(nil), be.seen...)
	be.mu.Unlock()
	for i, c := range clients {
		if !bytes.Equal(c.ParentSpanId, server.SpanId) || !bytes.Equal(c.TraceId, server.TraceId) {
			t.Fatalf("attempt %d is not the server span's child", i)
		}
		var p tracing.Parent
		if !tracing.ParseTraceparent([]byte(seen[i][0]), &p) || !bytes.Equal(p.SpanID[:], c.SpanId) || !bytes.Equal(p.TraceID[:], c.TraceId) {
			t.Fatalf("attempt %d: the backend's traceparent %q is not its span %x", i, seen[i][0], c.SpanId)
		}
		resend, ok := otlptest.Attr(c.Span, "http.request.resend_count")
		if i == 0 && ok || i > 0 && resend != int64(i) {
			t.Fatalf("attempt %d: resend count %v (%v)", i, resend, ok)
		}
		want := int64(503)
		if i == 2 {
			want = 200
		}
		wantAttrs(t, c.Span, map[string]any{"http.response.status_code": want})
	}
}

// TestTracingQueueFullDrops: with the collector stalled, the export
// queue fills; the requests after it are answered as ever, their spans
// dropped and counted (premier_tracing_spans_dropped_total), and every
// span is either exported once the collector answers again or counted.
func TestTracingQueueFullDrops(t *testing.T) {
	recv := otlptest.Start(t)
	be := &traceBackend{}
	h := startGateway(t, configYAML(startBackend(t, be.handle), `  tracing: {otlp_endpoint: "`+recv.URL+`", sample_ratio: 1}
`))
	held := recv.Hold()
	defer recv.Release()
	requests := 0
	send := func(n int) {
		for i := 0; i < n; i++ {
			if resp, _ := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != 200 {
				t.Fatalf("request %d: status %d", requests, resp.StatusCode)
			}
			requests++
		}
	}
	send(tracing.QueueSize / 4) // the last wakes the exporter, which the collector then holds
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the exporter did not export a quarter of the queue")
	}
	send(tracing.QueueSize + 10)
	dropped := h.gw.TracingDropped()
	if dropped < 20 {
		t.Fatalf("%d spans dropped, want at least the last 10 requests' 20", dropped)
	}
	var prom strings.Builder
	h.gw.writePrometheus(&prom)
	if !regexp.MustCompile(`(?m)^premier_tracing_spans_dropped_total [1-9]\d*$`).MatchString(prom.String()) {
		t.Fatal("/metrics: no premier_tracing_spans_dropped_total")
	}
	recv.Release()
	h.gw.Close()
	if got := uint64(len(recv.Spans())) + h.gw.TracingDropped(); got != uint64(2*requests) {
		t.Fatalf("%d spans exported + %d dropped, want the %d recorded", len(recv.Spans()), h.gw.TracingDropped(), 2*requests)
	}
}
