//go:build unix

package proxy

import (
	"syscall"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/otlptest"
)

// BenchmarkTracingPath is the proxied request path with tracing off and
// with an exporter sampling 1 request in 100 (spans sent to a real OTLP
// receiver in the process). Besides ns/op it reports cpu-ns/op: the
// process's user+system CPU per request (getrusage), which counts the
// span processor's and exporter's goroutines too. bench/RESULTS.md's
// tracing section runs the two in turns.
func BenchmarkTracingPath(b *testing.B) {
	recv := otlptest.Start(b)
	for _, c := range []struct{ name, yaml string }{
		{"off", benchYAML},
		{"ratio0.01", benchYAML + "  tracing: {otlp_endpoint: \"" + recv.URL + "\", sample_ratio: 0.01}\n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			g := newInmemGatewayConfig(b, c.yaml)
			for i := 0; i < 1000; i++ {
				g.do(b, "/api/users/42?x=1")
			}
			b.ReportAllocs()
			before := cpuTime(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g.do(b, "/api/users/42?x=1")
			}
			b.StopTimer()
			g.gw.Close() // the exporter's last batch counts too
			b.ReportMetric(float64(cpuTime(b)-before)/float64(b.N), "cpu-ns/op")
		})
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
