//go:build !race

package proxy

import (
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestRetryPathZeroAllocs proves a retried request allocates nothing: the
// first attempt gets a 503, the loop records it (stats, passive health,
// breaker), walks on to the next backend and serves its 200; the same in
// plugin mode, where the app is retried.
func TestRetryPathZeroAllocs(t *testing.T) {
	const retryYAML = `premier:
  servers: ["http://a.internal:80", "http://b.internal:80"]
  paths:
    - pattern: "/*"
      features:
        retry: {max_attempts: 2, wait: 0, budget: 1}
        circuit_breaker: {failure_threshold: 1000000}
`
	var calls atomic.Uint64
	flaky := func(ctx *fasthttp.RequestCtx) { // every other answer fails
		if calls.Add(1)%2 == 1 {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		}
	}
	g := newInmemGatewayWith(t, retryYAML, flaky)
	for i := 0; i < 20; i++ {
		g.do(t, "/x")
	}
	before := calls.Load()
	if n := testing.AllocsPerRun(200, func() { g.do(t, "/x") }); n != 0 {
		t.Errorf("retried request: %v allocations, want 0", n)
	}
	if got := calls.Load() - before; got != 2*201 {
		t.Fatalf("%d backend calls for 201 requests, want two each", got)
	}

	app := newInmemGatewayConfig(t, retryYAML)
	app.gw, _ = New(app.gw.Loaded(), WithLogger(discardLogger()), WithHandler(flaky))
	t.Cleanup(app.gw.Close)
	for i := 0; i < 20; i++ {
		app.do(t, "/x")
	}
	if n := testing.AllocsPerRun(200, func() { app.do(t, "/x") }); n != 0 {
		t.Errorf("retried app request: %v allocations, want 0", n)
	}
}
