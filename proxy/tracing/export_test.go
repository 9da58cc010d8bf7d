package tracing

import (
	"context"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/premier-gateway/premier/internal/mpsc"
	"github.com/premier-gateway/premier/internal/otlptest"
)

func testTracer(t *testing.T, endpoint string) *Tracer {
	t.Helper()
	tr, err := New(Config{OTLPEndpoint: endpoint, SampleRatio: 1, ServiceName: "edge", Headers: map[string]string{"X-Key": "k"}}, "v9")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	return tr
}

func testServer(start time.Time) *Server {
	return &Server{Method: []byte("GET"), Route: "/users/{id}", Path: []byte("/users/42"), Scheme: "https",
		Host: []byte("api.example.com:8443"), Client: netip.MustParseAddr("192.0.2.7"), Proto: "1.1",
		UserAgent: []byte("curl/8"), Start: start}
}

func testAttempt(resend int, start time.Time) *Attempt {
	return &Attempt{Method: []byte("GET"), Address: "10.0.0.1", Port: 8080, Scheme: "http://", Addr: "10.0.0.1:8080",
		Target: []byte("/users/42"), Resend: resend, Start: start}
}

// TestExportThroughOTLP: the spans of a request (a caller's traceparent
// and tracestate, a retried attempt) and of a trace started at the
// gateway (an attempt that timed out, a 502) reach a real OTLP/HTTP
// receiver at Shutdown, with every field the SDK's spans had: names,
// kinds, IDs and parents, flags, tracestate, times, attributes, statuses,
// the resource and the instrumentation scope.
func TestExportThroughOTLP(t *testing.T) {
	recv := otlptest.Start(t)
	tr := testTracer(t, recv.URL)
	t0 := time.Unix(1_700_000_000, 0)

	var r Request
	parent := Parent{Flags: 1}
	copy(parent.TraceID[:], "0123456789abcdef")
	copy(parent.SpanID[:], "caller!!")
	tr.Start(&r, &parent, true, []byte("vendor=abc,other=1"), testServer(t0))
	tp1 := string(r.StartAttempt(testAttempt(0, t0.Add(time.Millisecond)), nil))
	r.EndAttempt(503, "", t0.Add(2*time.Millisecond))
	tp2 := string(r.StartAttempt(testAttempt(1, t0.Add(3*time.Millisecond)), nil))
	r.EndAttempt(200, "", t0.Add(4*time.Millisecond))
	r.End(200, t0.Add(5*time.Millisecond))
	if r.Recording() {
		t.Fatal("End left the request recording")
	}

	var root Request
	tr.Start(&root, &Parent{}, false, nil, &Server{Method: []byte("BREW"), Path: []byte("/x"), Scheme: "http",
		Host: []byte("[::1]:80"), Client: netip.MustParseAddr("::1"), Proto: "1.0", Start: t0})
	root.StartAttempt(testAttempt(0, t0), nil)
	root.EndAttempt(0, "timeout", t0.Add(time.Second))
	root.End(502, t0.Add(time.Second))

	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	spans := recv.Spans()
	if len(spans) != 5 {
		t.Fatalf("%d spans exported, want 5", len(spans))
	}
	byID := map[string]otlptest.Span{}
	for _, s := range spans {
		byID[hex.EncodeToString(s.SpanId)] = s
		if s.Service != "edge" || s.ServiceVersion != "v9" || s.Scope.GetName() != scopeName || s.Scope.GetVersion() != "v9" {
			t.Fatalf("span %q: resource %q %q, scope %v", s.Name, s.Service, s.ServiceVersion, s.Scope)
		}
	}
	var p1, p2 Parent
	if !ParseTraceparent([]byte(tp1), &p1) || !ParseTraceparent([]byte(tp2), &p2) || p1.TraceID != parent.TraceID || p1.Flags != 1 {
		t.Fatalf("traceparents %q %q", tp1, tp2)
	}
	a1, a2 := byID[hex.EncodeToString(p1.SpanID[:])], byID[hex.EncodeToString(p2.SpanID[:])]
	if a1.Span == nil || a2.Span == nil {
		t.Fatal("the backends' parents are not the exported attempt spans")
	}
	server := byID[hex.EncodeToString(a1.ParentSpanId)]
	if server.Span == nil || string(a2.ParentSpanId) != string(server.SpanId) {
		t.Fatal("the attempt spans are not the server span's children")
	}
	if string(server.TraceId) != string(parent.TraceID[:]) || string(server.ParentSpanId) != "caller!!" ||
		server.Kind != tracepb.Span_SPAN_KIND_SERVER || server.Name != "GET /users/{id}" ||
		server.TraceState != "vendor=abc,other=1" || a1.TraceState != server.TraceState ||
		server.Flags != 0x301 || a1.Flags != 0x101 { // sampled; the parent is known, remote for the server span only
		t.Fatalf("server span %q kind %v state %q flags %#x, attempt flags %#x", server.Name, server.Kind, server.TraceState, server.Flags, a1.Flags)
	}
	if server.StartTimeUnixNano != uint64(t0.UnixNano()) || server.EndTimeUnixNano != uint64(t0.Add(5*time.Millisecond).UnixNano()) ||
		a2.StartTimeUnixNano != uint64(t0.Add(3*time.Millisecond).UnixNano()) || a2.EndTimeUnixNano != uint64(t0.Add(4*time.Millisecond).UnixNano()) {
		t.Fatal("span times")
	}
	wantAttrs(t, server.Span, map[string]any{"http.request.method": "GET", "http.route": "/users/{id}",
		"url.path": "/users/42", "url.scheme": "https", "server.address": "api.example.com",
		"client.address": "192.0.2.7", "network.protocol.version": "1.1", "user_agent.original": "curl/8",
		"http.response.status_code": int64(200)}, 9)
	if server.Status.GetCode() != tracepb.Status_STATUS_CODE_UNSET {
		t.Fatal("a 200's server span has a status")
	}
	wantAttrs(t, a1.Span, map[string]any{"http.request.method": "GET", "server.address": "10.0.0.1", "server.port": int64(8080),
		"url.full": "http://10.0.0.1:8080/users/42", "http.response.status_code": int64(503), "error.type": "503"}, 6)
	wantAttrs(t, a2.Span, map[string]any{"http.response.status_code": int64(200), "http.request.resend_count": int64(1)}, 6)
	if a1.Kind != tracepb.Span_SPAN_KIND_CLIENT || a1.Name != "GET" || a1.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR ||
		a2.Status.GetCode() != tracepb.Status_STATUS_CODE_UNSET {
		t.Fatal("attempt spans' kind, name or status")
	}

	var rootServer, rootAttempt otlptest.Span
	for _, s := range spans {
		if string(s.TraceId) != string(parent.TraceID[:]) {
			if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
				rootServer = s
			} else {
				rootAttempt = s
			}
		}
	}
	if rootServer.Span == nil || len(rootServer.ParentSpanId) != 0 || rootServer.Name != "_OTHER" || rootServer.Flags != 0x101 ||
		rootServer.TraceState != "" || string(rootAttempt.ParentSpanId) != string(rootServer.SpanId) {
		t.Fatalf("the trace started at the gateway: %v", rootServer.Span)
	}
	wantAttrs(t, rootServer.Span, map[string]any{"http.request.method": "_OTHER", "server.address": "[::1]",
		"client.address": "::1", "network.protocol.version": "1.0", "http.response.status_code": int64(502), "error.type": "502"}, 8)
	if rootServer.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Fatal("a 502's server span is not an error")
	}
	wantAttrs(t, rootAttempt.Span, map[string]any{"error.type": "timeout"}, 5)
	if rootAttempt.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || rootAttempt.Status.GetMessage() != "timeout" {
		t.Fatalf("a timed-out attempt's status %v", rootAttempt.Status)
	}
	if h := recv.Headers(); len(h) == 0 || h[0].Get("X-Key") != "k" {
		t.Fatal("the export lacks the configured headers")
	}
	if tr.Dropped() != 0 {
		t.Fatalf("%d dropped", tr.Dropped())
	}
}

// wantAttrs checks a span's attributes and how many it has.
func wantAttrs(t *testing.T, s *tracepb.Span, want map[string]any, n int) {
	t.Helper()
	for k, v := range want {
		if got, ok := otlptest.Attr(s, k); !ok || got != v {
			t.Errorf("span %q: %s = %v (%v), want %v", s.Name, k, got, ok, v)
		}
	}
	if len(s.Attributes) != n {
		t.Errorf("span %q: %d attributes, want %d: %v", s.Name, len(s.Attributes), n, s.Attributes)
	}
}

// TestAttemptCap: a request with more attempts than MaxAttemptSpans
// records the first ones; the others' spans are counted as dropped, and
// each attempt still gets a traceparent of its own.
func TestAttemptCap(t *testing.T) {
	recv := otlptest.Start(t)
	tr := testTracer(t, recv.URL)
	var r Request
	tr.Start(&r, &Parent{}, false, nil, testServer(time.Now()))
	seen := map[string]bool{}
	for i := 0; i < MaxAttemptSpans+2; i++ {
		tp := string(r.StartAttempt(testAttempt(i, time.Now()), nil))
		if seen[tp] || len(tp) != traceparentLen {
			t.Fatalf("attempt %d: traceparent %q", i, tp)
		}
		seen[tp] = true
		r.EndAttempt(503, "", time.Now())
	}
	r.End(503, time.Now())
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.Spans()); n != 1+MaxAttemptSpans || tr.Dropped() != 2 {
		t.Fatalf("%d spans exported, %d dropped; want %d and 2", n, tr.Dropped(), 1+MaxAttemptSpans)
	}
}

// TestRecordCutsLongValues: values over their bounds are cut, a retry's
// target is kept once, and a record's text never overflows.
func TestRecordCutsLongValues(t *testing.T) {
	tr := &Tracer{ring: mpsc.New[record](4), wake: make(chan struct{}, 1)}
	var r Request
	s := testServer(time.Now())
	s.Path = []byte(strings.Repeat("p", 5000))
	s.UserAgent = []byte(strings.Repeat("u", 5000))
	s.Host = []byte(strings.Repeat("h", 5000))
	tr.Start(&r, &Parent{Flags: 1, TraceID: [16]byte{1}, SpanID: [8]byte{1}}, true, []byte(strings.Repeat("a", MaxTracestate)), s)
	long := strings.Repeat("t", 5000)
	for i := 0; i < MaxAttemptSpans; i++ {
		a := testAttempt(i, time.Now())
		a.Target = []byte(long[:targetMax+i]) // each distinct
		r.StartAttempt(a, nil)
	}
	h := &r.rec.head
	if got := len(r.rec.get(h.text[textPath])); got != textMax[textPath] {
		t.Fatalf("path cut to %d", got)
	}
	if got := len(r.rec.get(h.text[textTracestate])); got != MaxTracestate {
		t.Fatalf("tracestate kept %d", got)
	}
	if int(h.n) != textSize || len(r.rec.get(h.attempts[1].target)) != targetMax || len(r.rec.get(h.attempts[2].target)) != 0 {
		t.Fatalf("text used %d of %d; targets %d %d", h.n, textSize, len(r.rec.get(h.attempts[1].target)), len(r.rec.get(h.attempts[2].target)))
	}
	var same Request
	tr.Start(&same, &Parent{}, false, nil, testServer(time.Now()))
	same.StartAttempt(testAttempt(0, time.Now()), nil)
	n := same.rec.n
	same.StartAttempt(testAttempt(1, time.Now()), nil)
	if same.rec.n != n || same.rec.attempts[1].target != same.rec.attempts[0].target {
		t.Fatal("a retry's same target was copied twice")
	}
}

// TestRingFullDrops: when the exporter is that far behind, a request's
// spans are dropped and counted, and End never waits; after Shutdown
// begins, ended requests are dropped too.
func TestRingFullDrops(t *testing.T) {
	tr := &Tracer{ring: mpsc.New[record](4), wake: make(chan struct{}, 1)} // no exporter goroutine: nothing drains
	for i := 0; i < 6; i++ {
		var r Request
		tr.Start(&r, &Parent{}, false, nil, testServer(time.Now()))
		r.StartAttempt(testAttempt(0, time.Now()), nil)
		r.End(200, time.Now())
	}
	if tr.Dropped() != 4 { // two requests of two spans each
		t.Fatalf("%d spans dropped, want 4", tr.Dropped())
	}
	if len(tr.wake) != 1 {
		t.Fatal("the quarter-full ring did not signal the exporter")
	}
	tr.closed.Store(true)
	endRequest(tr)
	if tr.Dropped() != 5 {
		t.Fatalf("%d spans dropped after shutdown, want 5", tr.Dropped())
	}
}

// TestShutdownExportsQueued: requests ended before Shutdown, fewer than a
// quarter of the ring and before the batch interval, are exported by it;
// a second Shutdown is a no-op and a request ended after is dropped.
func TestShutdownExportsQueued(t *testing.T) {
	recv := otlptest.Start(t)
	tr := testTracer(t, recv.URL)
	for i := 0; i < 3; i++ {
		endRequest(tr)
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.Spans()); n != 3 {
		t.Fatalf("%d spans exported at shutdown, want 3", n)
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	endRequest(tr)
	if tr.Dropped() != 1 {
		t.Fatalf("%d dropped after shutdown", tr.Dropped())
	}
}

// TestBatchesOfBatchSize: more spans than BatchSize go out in several
// export calls, none over BatchSize, all of them delivered.
func TestBatchesOfBatchSize(t *testing.T) {
	recv := otlptest.Start(t)
	tr := testTracer(t, recv.URL)
	const requests = 200 // 200 × 3 spans
	for i := 0; i < requests; i++ {
		var r Request
		tr.Start(&r, &Parent{}, false, nil, testServer(time.Now()))
		r.StartAttempt(testAttempt(0, time.Now()), nil)
		r.StartAttempt(testAttempt(1, time.Now()), nil)
		r.End(200, time.Now())
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.Spans()); n != 3*requests {
		t.Fatalf("%d spans exported, want %d", n, 3*requests)
	}
	if n := len(recv.Headers()); n != 2 {
		t.Fatalf("%d export requests, want 2 (%d spans, %d a batch)", n, 3*requests, BatchSize)
	}
}

// endRequest records one sampled request with its server span only.
func endRequest(tr *Tracer) {
	var r Request
	tr.Start(&r, &Parent{}, false, nil, testServer(time.Now()))
	r.End(200, time.Now())
}
