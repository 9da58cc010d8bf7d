//go:build !race

package proxy

import (
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/otlptest"
	"github.com/premier-gateway/premier/proxy/tracing"
)

// TestTracingUnsampledZeroAllocs: with an exporter running, a request that
// is not sampled allocates nothing — one whose caller did not sample it,
// one that starts a trace the ratio leaves out, and one whose malformed
// traceparent is dropped; and with tracing off, a request carrying trace
// context allocates nothing either.
func TestTracingUnsampledZeroAllocs(t *testing.T) {
	recv := otlptest.Start(t)
	on := newInmemGatewayConfig(t, benchYAML+"  tracing: {otlp_endpoint: \""+recv.URL+"\", sample_ratio: 0}\n")
	off := newInmemGateway(t)
	cases := []struct {
		name string
		g    *inmemGateway
		hdr  [][2]string
	}{
		{"unsampled parent", on, [][2]string{{"traceparent", "00-" + inTraceID + "-" + inSpanID + "-00"}, {"tracestate", "a=b,c=d"}}},
		{"new trace, ratio 0", on, nil},
		{"malformed traceparent", on, [][2]string{{"traceparent", "00-zz"}, {"tracestate", "a=b"}}},
		{"tracing off, sampled parent", off, [][2]string{{"traceparent", "00-" + inTraceID + "-" + inSpanID + "-01"}, {"tracestate", "a=b"}}},
		{"tracing off, malformed", off, [][2]string{{"traceparent", "garbage"}}},
	}
	for _, c := range cases {
		send := func() {
			req := &c.g.ctx.Request
			req.Reset()
			req.Header.SetMethod("GET")
			req.SetRequestURI("/api/users/42")
			req.Header.SetHost("example.com")
			for _, h := range c.hdr {
				req.Header.Set(h[0], h[1])
			}
			c.g.ctx.Response.Reset()
			c.g.ctx.Response.KeepBodyBuffer = true
			c.g.gw.Handler(&c.g.ctx)
			if c.g.ctx.Response.StatusCode() != 200 {
				t.Fatalf("%s: status %d", c.name, c.g.ctx.Response.StatusCode())
			}
		}
		for i := 0; i < 10; i++ {
			send()
		}
		if n := testing.AllocsPerRun(200, send); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", c.name, n)
		}
	}
	on.gw.Close()
	if n := len(recv.Spans()); n != 0 {
		t.Fatalf("%d spans exported, want none", n)
	}
}

// TestTracingSampledZeroAllocs: a sampled request allocates nothing
// either — a trace started at the gateway and one continuing a caller's
// (with its tracestate): the server span, the attempt span and the
// traceparent go into the request's record, copied into the export queue
// at the end. The exporter goroutine allocates when it drains the queue,
// so it is kept waiting on a collector that holds its export while the
// requests are counted.
func TestTracingSampledZeroAllocs(t *testing.T) {
	recv := otlptest.Start(t)
	g := newInmemGatewayConfig(t, benchYAML+"  tracing: {otlp_endpoint: \""+recv.URL+"\", sample_ratio: 1}\n")
	held := recv.Hold()
	defer recv.Release()
	var hdr [][2]string
	send := func() {
		req := &g.ctx.Request
		req.Reset()
		req.Header.SetMethod("GET")
		req.SetRequestURI("/api/users/42")
		req.Header.SetHost("example.com")
		req.Header.SetUserAgent("test/1")
		for _, h := range hdr {
			req.Header.Set(h[0], h[1])
		}
		g.ctx.Response.Reset()
		g.ctx.Response.KeepBodyBuffer = true
		g.gw.Handler(&g.ctx)
		if g.ctx.Response.StatusCode() != 200 {
			t.Fatalf("status %d", g.ctx.Response.StatusCode())
		}
	}
	for i := 0; i < tracing.QueueSize/4; i++ { // the last wakes the exporter
		send()
	}
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the exporter did not export a quarter of the queue")
	}
	for _, c := range [][][2]string{nil, {{"traceparent", "00-" + inTraceID + "-" + inSpanID + "-01"}, {"tracestate", "a=b,c=d"}}} {
		hdr = c
		if n := testing.AllocsPerRun(200, send); n != 0 {
			t.Errorf("%v: %v allocations per sampled request, want 0", c, n)
		}
	}
	if d := g.gw.TracingDropped(); d != 0 {
		t.Fatalf("%d spans dropped", d)
	}
}
