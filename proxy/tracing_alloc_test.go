//go:build !race

package proxy

import (
	"testing"

	"github.com/premier-gateway/premier/internal/otlptest"
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
