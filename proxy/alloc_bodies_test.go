//go:build !race

package proxy

import "testing"

// TestBodiesPathZeroAllocs covers the benchmark suite's body shapes: a
// 4 KiB response and a 16 KiB POST allocate nothing per request either.
func TestBodiesPathZeroAllocs(t *testing.T) {
	g := newInmemGateway(t)
	post := make([]byte, 16<<10)
	for _, c := range []struct {
		name, method, uri string
		body              []byte
	}{
		{"4 KiB response", "GET", "/static/4k", nil},
		{"16 KiB POST", "POST", "/api/users/7", post},
	} {
		for i := 0; i < 10; i++ {
			g.send(t, c.method, c.uri, c.body)
		}
		if n := testing.AllocsPerRun(200, func() { g.send(t, c.method, c.uri, c.body) }); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", c.name, n)
		}
	}
}
