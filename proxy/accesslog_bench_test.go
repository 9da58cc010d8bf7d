//go:build unix

package proxy

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkAccessLogCPU is the proxied path with the access log off and on
// (JSON to a file), reporting the whole process's CPU time per request
// (cpu-ns/op: the request path and the log's writer goroutine together),
// not only the wall time of the loop. The two run in rounds (round=1..7,
// off then on in each) on one gateway each, so every pair is measured
// side by side on a machine whose speed drifts:
// go test -run '^$' -bench AccessLogCPU -cpu 1 ./proxy/
func BenchmarkAccessLogCPU(b *testing.B) {
	path := filepath.Join(b.TempDir(), "access.log")
	cases := []struct {
		name string
		g    *inmemGateway
	}{
		{"off", newInmemGatewayConfig(b, benchYAML)},
		{"json-file", newInmemGatewayConfig(b, strings.Replace(benchYAML, "  paths:\n", "  access_log: {path: "+path+"}\n  paths:\n", 1))},
	}
	for round := 1; round <= 7; round++ {
		for _, c := range cases {
			b.Run(fmt.Sprintf("round=%d/%s", round, c.name), func(b *testing.B) {
				g := c.g
				g.do(b, "/api/users/42?x=1")
				time.Sleep(100 * time.Millisecond) // the writer's backlog from before is not this run's
				b.ReportAllocs()
				before := cpuTime()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					g.do(b, "/api/users/42?x=1")
				}
				b.StopTimer()
				// The writer's work for these requests belongs to them (it
				// drains every 80 ms); the off case waits as long.
				time.Sleep(100 * time.Millisecond)
				b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
