package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/lb"
)

// refusingURL is a backend URL whose port refuses connections.
func refusingURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// attemptsOn is how many attempts the gateway has made on the backend at url.
func attemptsOn(t *testing.T, h *gwHarness, url string) uint64 {
	t.Helper()
	for _, b := range h.gw.pool.Backends() {
		if b.URL == url {
			return b.Stats().Requests
		}
	}
	t.Fatalf("no backend %s", url)
	return 0
}

// The scenario: two servers, the first refusing connections, a
// retry policy; 200 sequential GETs all succeed, and once passive health
// has ejected the dead backend it gets (almost) nothing.
func TestDeadBackendIsEjected(t *testing.T) {
	for _, algo := range []string{lb.RoundRobin, lb.IPHash, lb.LeastConn, lb.P2CEWMA} {
		t.Run(algo, func(t *testing.T) {
			dead := refusingURL(t)
			ok := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
			h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q, %q]
  lb: {algorithm: %s}
  paths:
    - pattern: "/*"
      features:
        retry: {max_attempts: 3, wait: 0.05}
`, dead, ok, algo))
			for i := 0; i < 200; i++ {
				if resp, body := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != 200 || body != "ok" {
					t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
				}
			}
			// Three consecutive failures eject it (the default); ip_hash
			// may never have sent this client there at all.
			if n := attemptsOn(t, h, dead); n > 3 {
				t.Fatalf("the dead backend got %d attempts, want at most 3 (ejected after 3 failures)", n)
			}
			if algo == lb.RoundRobin && !strings.Contains(h.logs.String(), `msg="backend ejected" backend=`+dead) {
				t.Fatalf("no ejection logged:\n%s", h.logs.String())
			}
		})
	}
}

// ip_hash: a client whose first choice is the dead backend moves to the
// live one and stays there; the others never notice.
func TestDeadBackendIPHash(t *testing.T) {
	dead := refusingURL(t)
	ok := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q, %q]
  lb: {algorithm: ip_hash}
  trusted_proxies: ["127.0.0.1/32"]
  paths:
    - pattern: "/*"
      features:
        retry: {max_attempts: 3, wait: 0.05}
`, dead, ok))
	// Clients (by X-Forwarded-For from the trusted loopback) spread over
	// both backends; each gets 200 every time.
	for i := 0; i < 200; i++ {
		client := fmt.Sprintf("10.0.%d.%d", i%7, i%5)
		if resp, body := do(t, "GET", h.url+"/x", nil, map[string]string{"X-Forwarded-For": client}); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d from %s: %d %q", i, client, resp.StatusCode, body)
		}
	}
	if n := attemptsOn(t, h, dead); n == 0 || n > 3 {
		t.Fatalf("the dead backend got %d attempts, want 1 to 3 (some clients hash to it; ejected after 3)", n)
	}
}

// WebSocket upgrades go through the same loop: balancing, retry of the
// connect on another backend, passive ejection.
func TestDeadBackendWebSocket(t *testing.T) {
	dead := refusingURL(t)
	b := startWSBackend(t)
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q, %q]
  paths:
    - pattern: "/*"
      features:
        retry: {max_attempts: 3, wait: 0.05}
`, dead, b.url))
	for i := 0; i < 12; i++ { // the backend reports at most 16 closes
		c := mustDial(t, wsURL(h, "/ws"))
		echo(t, c, 1, []byte(fmt.Sprint("hello ", i)))
		c.Close()
	}
	if n := attemptsOn(t, h, dead); n > 3 {
		t.Fatalf("the dead backend got %d upgrade attempts, want at most 3", n)
	}
}

// A backend that accepts and never answers costs one per_try_timeout, not
// the request's whole timeout: the other backend answers well under 1 s.
func TestPerTryTimeout(t *testing.T) {
	hang := blackHole(t)
	ok := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q, %q]
  lb: {passive_health: {consecutive_failures: 0}}
  paths:
    - pattern: "/*"
      features:
        timeout: {seconds: 2}
        retry: {max_attempts: 2, wait: 0, per_try_timeout: 0.2}
`, hang, ok))
	for i := 0; i < 4; i++ { // round robin: every other request starts on the hang
		began := time.Now()
		resp, body := do(t, "GET", h.url+"/x", nil, nil)
		if resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		if d := time.Since(began); d > 800*time.Millisecond {
			t.Fatalf("request %d took %v, want one 0.2 s attempt then the other backend", i, d)
		}
	}
	if n := attemptsOn(t, h, hang); n != 2 {
		t.Fatalf("the hanging backend got %d attempts, want 2 (retries never move round robin)", n)
	}
}

// A client backend answering HTTP/1.0: the client gets HTTP/1.1 and keeps
// its connection, whether the answer has a length or ends at close, and a
// cached answer says the same on a hit as on the miss.
func TestHTTP10BackendKeepsClientHTTP11(t *testing.T) {
	backend := rawBackend(t, func(c net.Conn, br *bufio.Reader, _ int) {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if req.URL.Path == "/close-delimited" {
			_, _ = io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close")
		} else {
			_, _ = io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 5\r\nCache-Control: max-age=60\r\n\r\nhello")
		}
		c.Close()
	})
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q]
  paths:
    - pattern: /cached
      features:
        cache: {expire_s: 60}
`, backend))
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := 0; i < 10; i++ {
		path := []string{"/x", "/close-delimited", "/cached"}[i%3]
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: example.test\r\n\r\n", path); err != nil {
			t.Fatalf("request %d: the connection was closed: %v", i, err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d (%s): %v", i, path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Proto != "HTTP/1.1" || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("request %d (%s): %s %d close=%v, want HTTP/1.1 200 kept open", i, path, resp.Proto, resp.StatusCode, resp.Close)
		}
		if want := map[string]string{"/x": "hello", "/cached": "hello", "/close-delimited": "until close"}[path]; string(body) != want {
			t.Fatalf("request %d (%s): body %q", i, path, body)
		}
	}
}

// A refused connection reached no backend: a POST is retried on the next
// one like a GET (a POST that was sent is not: TestHardeningRetrySafetyNonIdempotent).
func TestRefusedPOSTIsRetried(t *testing.T) {
	dead := refusingURL(t)
	ok := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok " + string(ctx.PostBody())) })
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q, %q]
  lb: {passive_health: {consecutive_failures: 0}}
  paths:
    - pattern: "/*"
      features:
        retry: {max_attempts: 2, wait: 0}
`, dead, ok))
	for i := 0; i < 4; i++ { // round robin: every other one starts on the refusing backend
		if resp, body := do(t, "POST", h.url+"/orders", strings.NewReader("x"), nil); resp.StatusCode != 200 || body != "ok x" {
			t.Fatalf("POST %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if n := attemptsOn(t, h, dead); n != 2 {
		t.Fatalf("the refusing backend got %d attempts, want 2", n)
	}
}
