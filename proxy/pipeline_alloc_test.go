//go:build !race

package proxy

import "testing"

// TestPipelinedPathZeroAllocs: a request over a pipelined backend
// connection allocates nothing in steady state.
func TestPipelinedPathZeroAllocs(t *testing.T) {
	g := newInmemGatewayConfig(t, pipelinedYAML)
	for _, uri := range []string{"/api/users/42?x=1", "/static/a/b.css", "/other"} {
		for i := 0; i < 10; i++ {
			g.do(t, uri)
		}
		if n := testing.AllocsPerRun(200, func() { g.do(t, uri) }); n != 0 {
			t.Errorf("%s pipelined: %v allocations per request, want 0", uri, n)
		}
	}
}
