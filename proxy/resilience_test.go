package proxy

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/resilience"
)

// flaky answers 503 for the first n requests, then 200.
func flaky(n int32, hits *atomic.Int32) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if hits.Add(1) <= n {
			ctx.SetStatusCode(503)
			return
		}
		ctx.SetBodyString("ok")
	}
}

func TestRetryFlakyBackendToSuccess(t *testing.T) {
	var hits atomic.Int32
	h := startGateway(t, configYAML(startBackend(t, flaky(2, &hits)), `  paths:
    - pattern: "/*"
      features:
        retry: {max_attempts: 3, wait: [0.1, 0.2]}
`))
	began := time.Now()
	resp, body := do(t, "GET", h.url+"/x", nil, nil)
	if resp.StatusCode != 200 || body != "ok" || hits.Load() != 3 {
		t.Fatalf("status %d body %q after %d backend hits", resp.StatusCode, body, hits.Load())
	}
	if waited := time.Since(began); waited < 300*time.Millisecond {
		t.Fatalf("the wait list (0.1 s, 0.2 s) was not honoured: %v", waited)
	}
}

func TestRetryNotForPOSTWithoutIdempotencyKey(t *testing.T) {
	var hits atomic.Int32
	h := startGateway(t, configYAML(startBackend(t, flaky(1, &hits)), `  paths:
    - pattern: "/*"
      features:
        retry: {max_attempts: 3, wait: 0}
`))
	if resp, _ := do(t, "POST", h.url+"/x", strings.NewReader("body"), nil); resp.StatusCode != 503 || hits.Load() != 1 {
		t.Fatalf("POST: %d after %d hits", resp.StatusCode, hits.Load())
	}
	hits.Store(0)
	resp, body := do(t, "POST", h.url+"/x", strings.NewReader("body"), map[string]string{"Idempotency-Key": "k1"})
	if resp.StatusCode != 200 || body != "ok" || hits.Load() != 2 {
		t.Fatalf("POST with Idempotency-Key: %d %q after %d hits", resp.StatusCode, body, hits.Load())
	}
}

func TestRetryReplaysBodyOnAnotherBackend(t *testing.T) {
	var bodies atomic.Value
	good := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		bodies.Store(string(ctx.PostBody()))
		ctx.SetBodyString("good")
	})
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: ["http://127.0.0.1:1", %q]
  paths:
    - pattern: "/*"
      features:
        retry: {max_attempts: 2, wait: 0}
`, good))
	for i := 0; i < 6; i++ {
		resp, body := do(t, "PUT", h.url+"/x", strings.NewReader("payload-"+fmt.Sprint(i)), nil)
		if resp.StatusCode != 200 || body != "good" {
			t.Fatalf("request %d with a dead backend among two: %d %q", i, resp.StatusCode, body)
		}
		if got := bodies.Load(); got != "payload-"+fmt.Sprint(i) {
			t.Fatalf("body not replayed intact: %q", got)
		}
	}
}

func TestTimeoutBoundsRetries(t *testing.T) {
	var hits atomic.Int32
	h := startGateway(t, configYAML(startBackend(t, flaky(100, &hits)), `  paths:
    - pattern: "/*"
      features:
        timeout: {seconds: 0.3}
        retry: {max_attempts: 10, wait: 0.2}
`))
	began := time.Now()
	resp, _ := do(t, "GET", h.url+"/x", nil, nil)
	if elapsed := time.Since(began); elapsed > 2*time.Second {
		t.Fatalf("retries ran past the request's timeout: %v", elapsed)
	}
	if resp.StatusCode != 503 || hits.Load() > 2 {
		t.Fatalf("status %d after %d hits", resp.StatusCode, hits.Load())
	}
}

func TestCircuitBreakerCycle(t *testing.T) {
	var hits atomic.Int32
	var healthy atomic.Bool
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		hits.Add(1)
		if !healthy.Load() {
			ctx.SetStatusCode(500)
		}
	})
	h := startGateway(t, configYAML(backend, `  paths:
    - pattern: "/*"
      features:
        circuit_breaker: {failure_threshold: 3, recovery_timeout: 0.3}
`))
	for i := 0; i < 3; i++ {
		if resp, _ := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != 500 {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	// Open: fail fast, no backend contact, Retry-After set.
	for i := 0; i < 5; i++ {
		resp, _ := do(t, "GET", h.url+"/x", nil, nil)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" {
			t.Fatalf("open breaker: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if hits.Load() != 3 {
		t.Fatalf("open breaker contacted the backend: %d hits", hits.Load())
	}
	if st := h.gw.Breakers(); len(st) != 1 || st[0].State != resilience.Open {
		t.Fatalf("breaker state: %+v", st)
	}
	// Half-open after the recovery timeout: one probe; it fails → open again.
	time.Sleep(350 * time.Millisecond)
	if resp, _ := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != 500 || hits.Load() != 4 {
		t.Fatalf("failed probe: %d, hits %d", resp.StatusCode, hits.Load())
	}
	if resp, _ := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != 503 || hits.Load() != 4 {
		t.Fatalf("re-opened: %d, hits %d", resp.StatusCode, hits.Load())
	}
	// Next probe succeeds → closed.
	healthy.Store(true)
	time.Sleep(350 * time.Millisecond)
	for i := 0; i < 3; i++ {
		if resp, _ := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("after recovery: %d", resp.StatusCode)
		}
	}
	if st := h.gw.Breakers(); st[0].State != resilience.Closed {
		t.Fatalf("breaker did not close: %+v", st)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "circuit breaker state changed") {
		t.Fatalf("state changes not logged: %s", logs)
	}
}

func TestBreakerSkipsOpenBackend(t *testing.T) {
	var badHits atomic.Int32
	bad := startBackend(t, func(ctx *fasthttp.RequestCtx) { badHits.Add(1); ctx.SetStatusCode(502) })
	good := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("good") })
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q, %q]
  paths:
    - pattern: "/*"
      features:
        circuit_breaker: {failure_threshold: 2, recovery_timeout: 60}
`, bad, good))
	for i := 0; i < 20; i++ {
		do(t, "GET", h.url+"/x", nil, nil)
	}
	if badHits.Load() != 2 {
		t.Fatalf("the open backend kept getting traffic: %d hits", badHits.Load())
	}
}

func TestPluginPanicsCountForRetryAndBreaker(t *testing.T) {
	l, err := config.Parse("p.yaml", []byte(`premier:
  paths:
    - pattern: "/*"
      features:
        retry: {max_attempts: 3, wait: 0}
        circuit_breaker: {failure_threshold: 2, recovery_timeout: 60}
`))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	gw, err := New(l, WithLogger(discardLogger()), WithHandler(func(ctx *fasthttp.RequestCtx) {
		if calls.Add(1) == 1 {
			panic("first call fails")
		}
		if string(ctx.Path()) == "/broken" {
			ctx.SetStatusCode(503)
			return
		}
		ctx.SetBodyString("ok")
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	url := serveGateway(t, gw)
	if resp, body := do(t, "GET", url+"/x", nil, nil); resp.StatusCode != 200 || body != "ok" || calls.Load() != 2 {
		t.Fatalf("panic retried: %d %q after %d calls", resp.StatusCode, body, calls.Load())
	}
	// Two 503s open the breaker (3 attempts: the breaker stops the third).
	if resp, _ := do(t, "GET", url+"/broken", nil, nil); resp.StatusCode != 503 {
		t.Fatalf("broken: %d", resp.StatusCode)
	}
	before := calls.Load()
	if resp, _ := do(t, "GET", url+"/x", nil, nil); resp.StatusCode != 503 || calls.Load() != before {
		t.Fatalf("open breaker still called the app: %d, calls %d→%d", resp.StatusCode, before, calls.Load())
	}
}

func TestCircuitStateMetric(t *testing.T) {
	h := startGateway(t, configYAML("http://127.0.0.1:1", `  paths:
    - pattern: "/*"
      features:
        circuit_breaker: {failure_threshold: 1, recovery_timeout: 60}
`))
	do(t, "GET", h.url+"/x", nil, nil)
	var b strings.Builder
	h.gw.writePrometheus(&b)
	if !strings.Contains(b.String(), `premier_circuit_state{route="/*",backend="http://127.0.0.1:1"} 2`) {
		t.Fatalf("circuit state not exported:\n%s", b.String())
	}
}
