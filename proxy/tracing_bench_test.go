//go:build unix

package proxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// BenchmarkTracingPath is the proxied request path with tracing off and
// with an exporter sampling no request, 1 in 100, and every one (spans
// posted to a collector in the process that reads and discards them).
// Besides ns/op it reports cpu-ns/op: the process's user+system CPU per
// request (getrusage), which counts the exporter goroutine too (and the
// collector's HTTP handling: an upper bound).
// They run in rounds (round=1..7, the four in turn in each), so every
// pair is measured side by side on a machine whose speed drifts.
func BenchmarkTracingPath(b *testing.B) {
	sink := discardCollector(b)
	cases := []struct{ name, yaml string }{
		{"off", benchYAML},
		{"ratio0", benchYAML + "  tracing: {otlp_endpoint: \"" + sink + "\", sample_ratio: 0}\n"},
		{"ratio0.01", benchYAML + "  tracing: {otlp_endpoint: \"" + sink + "\", sample_ratio: 0.01}\n"},
		{"ratio1", benchYAML + "  tracing: {otlp_endpoint: \"" + sink + "\", sample_ratio: 1}\n"},
	}
	for round := 1; round <= 7; round++ {
		for _, c := range cases {
			b.Run(fmt.Sprintf("round=%d/%s", round, c.name), func(b *testing.B) { benchTracing(b, c.yaml) })
		}
	}
}

// benchTracing is one case of BenchmarkTracingPath.
func benchTracing(b *testing.B, yaml string) {
	g := newInmemGatewayConfig(b, yaml)
	for i := 0; i < 1000; i++ {
		g.do(b, "/api/users/42?x=1")
	}
	b.ReportAllocs()
	before := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.do(b, "/api/users/42?x=1")
	}
	b.StopTimer()
	g.gw.Close() // the exporter's last batch counts too
	b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op")
}

// discardCollector is an OTLP/HTTP endpoint that reads each export and
// answers 200 without decoding it; it returns its URL.
func discardCollector(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	})}
	go srv.Serve(ln) //nolint:errcheck
	b.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}
