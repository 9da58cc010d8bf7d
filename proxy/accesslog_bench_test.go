//go:build unix

package proxy

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkAccessLogCPU is the proxied path with the access log off and on
// (JSON to a file), reporting the whole process's CPU time per request
// (cpu-ns/op: the request path and the log's writer goroutine together),
// not only the wall time of the loop. Run the two interleaved:
// go test -run '^$' -bench AccessLogCPU -count 8 ./proxy/
func BenchmarkAccessLogCPU(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		yaml := benchYAML
		if on {
			name = "json-file"
			path := filepath.Join(b.TempDir(), "access.log")
			yaml = strings.Replace(benchYAML, "  paths:\n", "  access_log: {path: "+path+"}\n  paths:\n", 1)
		}
		b.Run(name, func(b *testing.B) {
			g := newInmemGatewayConfig(b, yaml)
			g.do(b, "/api/users/42?x=1")
			b.ReportAllocs()
			before := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g.do(b, "/api/users/42?x=1")
			}
			b.StopTimer()
			if on { // the writer's work for these requests belongs to them
				time.Sleep(20 * time.Millisecond)
			}
			b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
