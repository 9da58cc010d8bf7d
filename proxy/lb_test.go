package proxy

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestHealthChecksEjectAndRestore(t *testing.T) {
	var aUp atomic.Bool
	var aHits, bHits atomic.Int32
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/healthz" {
			if !aUp.Load() {
				ctx.SetStatusCode(503)
			}
			return
		}
		aHits.Add(1)
	})
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) != "/healthz" {
			bHits.Add(1)
		}
	})
	aUp.Store(true)
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q, %q]
  lb:
    health_check: {path: /healthz, interval: 0.05, timeout: 1, healthy_threshold: 1, unhealthy_threshold: 1}
`, a, b))
	waitFor := func(cond func() bool, what string) {
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	aUp.Store(false)
	waitFor(func() bool {
		for _, s := range h.gw.pool.Backends() {
			if s.URL == a && !s.Healthy() {
				return true
			}
		}
		return false
	}, "backend a ejected")
	aHits.Store(0)
	for i := 0; i < 10; i++ {
		if resp, _ := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != 200 {
			t.Fatal(resp.Status)
		}
	}
	if aHits.Load() != 0 {
		t.Fatalf("ejected backend got %d requests", aHits.Load())
	}
	aUp.Store(true)
	waitFor(func() bool {
		do(t, "GET", h.url+"/x", nil, nil)
		return aHits.Load() > 0
	}, "backend a restored")
}

func TestWeightedBalancingThroughGateway(t *testing.T) {
	var hits [2]atomic.Int32
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { hits[0].Add(1) })
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { hits[1].Add(1) })
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [{url: %q, weight: 3}, {url: %q, weight: 1}]
  lb: {algorithm: weighted_round_robin}
`, a, b))
	for i := 0; i < 40; i++ {
		do(t, "GET", h.url+"/", nil, nil)
	}
	if hits[0].Load() != 30 || hits[1].Load() != 10 {
		t.Fatalf("weights 3:1 gave %d:%d", hits[0].Load(), hits[1].Load())
	}
}

func TestIPHashIsStickyThroughGateway(t *testing.T) {
	var hits [2]atomic.Int32
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { hits[0].Add(1) })
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { hits[1].Add(1) })
	h := startGateway(t, fmt.Sprintf("premier:\n  servers: [%q, %q]\n  lb: {algorithm: ip_hash}\n", a, b))
	for i := 0; i < 20; i++ {
		do(t, "GET", h.url+"/", nil, nil)
	}
	if hits[0].Load() != 20 && hits[1].Load() != 20 {
		t.Fatalf("one client spread over backends: %d/%d", hits[0].Load(), hits[1].Load())
	}
}
