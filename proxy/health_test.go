package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/ui/source"
)

// probeGet asks addr for target with Host host on a new connection and
// returns the status, the headers and the body.
func probeGet(t *testing.T, addr, method, target, host string) (int, http.Header, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, method+" "+target+" HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, "http://"+host+target, nil)
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.Close { // ReadResponse takes Connection: close out of the header
		resp.Header.Set("Connection", "close")
	}
	return resp.StatusCode, resp.Header, string(b)
}

// TestHealthProbes: {prefix}/healthz and {prefix}/readyz answer 200 "ok"
// to GET and HEAD from anyone: no token with dashboard.token set, with
// the dashboard disabled, for a Host dashboard.hosts does not list, under
// a prefix of its own; they say nothing but the word, are never cached,
// refuse other methods with 405 and the gateway's error body, and are
// not counted with the traffic. Everything else under the prefix keeps
// its refusals.
func TestHealthProbes(t *testing.T) {
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("backend") })
	for _, tc := range []struct{ name, dashboard, prefix string }{
		{"token", "  dashboard: {token: secret-token-0123456789abcdef}\n", "/__premier"},
		{"disabled", "  dashboard: {enabled: false}\n", "/__premier"},
		{"other hosts", "  dashboard: {hosts: [admin.example.com], token: secret-token-0123456789abcdef}\n", "/__premier"},
		{"own prefix", "  dashboard: {prefix: /ops, enabled: false}\n", "/ops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startGateway(t, configYAML(b, tc.dashboard))
			for _, path := range []string{"/healthz", "/readyz", "/readyz?verbose=1"} {
				code, hdr, body := probeGet(t, h.addr, "GET", tc.prefix+path, "app.example.com")
				if code != 200 || body != "ok\n" || hdr.Get("Cache-Control") != "no-store" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
					t.Errorf("GET %s: %d %q %v, want 200 ok, no-store, text/plain", path, code, body, hdr)
				}
				if code, _, body := probeGet(t, h.addr, "HEAD", tc.prefix+path, "app.example.com"); code != 200 || body != "" {
					t.Errorf("HEAD %s: %d %q", path, code, body)
				}
				code, hdr, body = probeGet(t, h.addr, "POST", tc.prefix+path, "app.example.com")
				if code != 405 || body != `{"error":"method not allowed"}` || hdr.Get("Allow") != "GET, HEAD" {
					t.Errorf("POST %s: %d %q Allow %q, want 405 with the error body", path, code, body, hdr.Get("Allow"))
				}
			}
			// Not a probe: the prefix's own answer, a refusal without a token.
			for _, path := range []string{"/", "/healthz/x", "/readyzz", "/./readyz"} {
				if code, _, body := probeGet(t, h.addr, "GET", tc.prefix+path, "app.example.com"); code != 404 && code != 401 || strings.Contains(body, "ok") {
					t.Errorf("GET %s%s: %d %q, want the prefix's refusal", tc.prefix, path, code, body)
				}
			}
			if code, _, body := probeGet(t, h.addr, "GET", "/healthz", "app.example.com"); code != 200 || body != "backend" {
				t.Errorf("/healthz outside the prefix: %d %q, want the backend's", code, body)
			}
		})
	}
}

// TestHealthProbesNotCounted: a probe's 200, and its 503 while draining,
// stay out of the metrics and the recent requests like the dashboard's
// polling; its 405 is counted.
func TestHealthProbesNotCounted(t *testing.T) {
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) {})
	h := startGateway(t, configYAML(b, ""))
	probeGet(t, h.addr, "GET", "/__premier/healthz", "x")
	probeGet(t, h.addr, "GET", "/__premier/readyz", "x")
	h.gw.StartDraining()
	if code, _, body := probeGet(t, h.addr, "GET", "/__premier/readyz", "x"); code != 503 || body != "draining\n" {
		t.Fatalf("readyz while draining: %d %q", code, body)
	}
	if n := h.gw.metrics.RouteSnapshot(GatewayRoute).Requests; n != 0 {
		t.Fatalf("probes counted: %d gateway answers, want 0", n)
	}
	probeGet(t, h.addr, "DELETE", "/__premier/healthz", "x")
	if n := h.gw.metrics.RouteSnapshot(GatewayRoute).Requests; n != 1 {
		t.Fatalf("a probe's 405: %d gateway answers, want 1", n)
	}
}

// TestHealthProbesBeforeRedirect: with tls.redirect_http the plain
// listener still answers the probes itself (a load balancer probing the
// plain port gets 200, not a 308); every other request is redirected.
func TestHealthProbesBeforeRedirect(t *testing.T) {
	ca, leaf := localLeaf(t)
	b := startRecBackend(t)
	h := startTLSGateway(t, ca, configYAML(b.url, tlsBlock(leaf, "    redirect_http: true\n")+"  dashboard: {hosts: [admin.example.com]}\n"))
	for _, path := range []string{"/__premier/healthz", "/__premier/readyz"} {
		resp := rawPlain(t, h.addr, "GET "+path+" HTTP/1.1\r\nHost: app.example.com\r\n\r\n")
		if resp.StatusCode != 200 || resp.Header.Get("Location") != "" {
			t.Errorf("plain %s: %d Location %q, want 200", path, resp.StatusCode, resp.Header.Get("Location"))
		}
		if code, _, body := h.get(t, true, path, nil); code != 200 || body != "ok\n" {
			t.Errorf("TLS %s: %d %q", path, code, body)
		}
	}
	if resp := rawPlain(t, h.addr, "GET /__premier/ HTTP/1.1\r\nHost: app.example.com\r\n\r\n"); resp.StatusCode != 308 {
		t.Errorf("the rest of the prefix: %d, want 308", resp.StatusCode)
	}
}

// drainHarness serves a gateway on lns with one ctx, as main does.
type drainHarness struct {
	gw     *Gateway
	cancel context.CancelFunc
	done   []chan error
}

func startDrainable(t *testing.T, yamlText string, n int) (*drainHarness, []string) {
	t.Helper()
	gw := newGateway(t, yamlText)
	ctx, cancel := context.WithCancel(context.Background())
	h := &drainHarness{gw: gw, cancel: cancel}
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- gw.Serve(ctx, ln) }()
		h.done = append(h.done, done)
		addrs = append(addrs, ln.Addr().String())
	}
	t.Cleanup(func() {
		cancel()
		for _, d := range h.done {
			select {
			case <-d:
			case <-time.After(20 * time.Second):
				t.Error("Serve did not return")
			}
		}
	})
	return h, addrs
}

// wait waits for every Serve to return nil and says how long it took.
func (h *drainHarness) wait(t *testing.T, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for _, d := range h.done {
		select {
		case err := <-d:
			if err != nil {
				t.Fatalf("Serve: %v, want nil", err)
			}
			d <- nil // for the cleanup
		case <-time.After(within):
			t.Fatalf("Serve still running %v after the drain began", within)
		}
	}
	return time.Since(start)
}

// TestReadyzDuringLameDuck: cancelling Serve's ctx starts the drain: for
// limits.lame_duck the listener stays open, /readyz answers 503
// "draining" on new connections while /healthz and the rules still answer
// (with Connection: close), then the listener closes and Serve returns nil.
// Two listeners served with the one ctx share the one lame duck.
func TestReadyzDuringLameDuck(t *testing.T) {
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("backend") })
	h, addrs := startDrainable(t, configYAML(b, "  limits: {lame_duck: 0.6, shutdown_grace: 2}\n"), 2)
	for _, a := range addrs {
		if code, _, body := probeGet(t, a, "GET", "/__premier/readyz", "x"); code != 200 || body != "ok\n" {
			t.Fatalf("readyz before the drain: %d %q", code, body)
		}
	}
	if h.gw.Draining() {
		t.Fatal("Draining before the drain")
	}
	start := time.Now()
	h.cancel()
	time.Sleep(100 * time.Millisecond)
	if !h.gw.Draining() {
		t.Fatal("Draining false after ctx ended")
	}
	for _, a := range addrs {
		if code, _, body := probeGet(t, a, "GET", "/__premier/readyz", "x"); code != 503 || body != "draining\n" {
			t.Errorf("%s readyz in the lame duck: %d %q, want 503 draining", a, code, body)
		}
		if code, _, body := probeGet(t, a, "GET", "/__premier/healthz", "x"); code != 200 || body != "ok\n" {
			t.Errorf("%s healthz in the lame duck: %d %q, want 200", a, code, body)
		}
		code, hdr, body := probeGet(t, a, "GET", "/x", "x")
		if code != 200 || body != "backend" || hdr.Get("Connection") != "close" {
			t.Errorf("%s a rule in the lame duck: %d %q Connection %q, want 200 and close", a, code, body, hdr.Get("Connection"))
		}
	}
	h.wait(t, 10*time.Second)
	took := time.Since(start)
	if took < 600*time.Millisecond || took > 1100*time.Millisecond {
		t.Errorf("both listeners drained in %v, want one lame duck of 0.6 s (not two in turn)", took)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepting after the drain", a)
		}
	}
}

// TestDrainAnswersAcceptedConnection: a connection accepted just before
// the drain, whose request is written only after the drain began, is
// answered in full (with Connection: close), not reset or closed empty;
// so is a keep-alive connection's request in flight.
func TestDrainAnswersAcceptedConnection(t *testing.T) {
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("backend") })
	h, addrs := startDrainable(t, configYAML(b, "  limits: {shutdown_grace: 3}\n"), 1)
	var conns []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", addrs[0])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	h.cancel() // lame_duck 0: the listener stops accepting at once
	time.Sleep(300 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", addrs[0], time.Second); err == nil {
		c.Close()
		t.Error("still accepting 300 ms into a drain without a lame duck")
	}
	for i, c := range conns {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET /late HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatalf("conn %d: write: %v", i, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("conn %d accepted before the drain: %v, want an answer", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "backend" || !resp.Close {
			t.Errorf("conn %d: %d %q close=%v, want 200 backend with Connection: close", i, resp.StatusCode, body, resp.Close)
		}
	}
	h.wait(t, 10*time.Second)
}

// TestDrainAnswersAcceptedTLSAndH2C: the same for a connection to the
// TLS listener that had not begun its handshake when the drain began
// (the handshake is not aborted: it completes, then the request is
// answered) and for one to a plain listener with h2c on that had not yet
// sent the bytes telling HTTP/1.1 from HTTP/2.
func TestDrainAnswersAcceptedTLSAndH2C(t *testing.T) {
	ca, leaf := localLeaf(t)
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("backend") })
	gw := newGateway(t, configYAML(b, tlsBlock(leaf, "")+"  h2c: true\n  limits: {shutdown_grace: 3}\n"))
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tln := listenTLS(t, gw)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 2)
	for _, ln := range []net.Listener{plain, tln} {
		go func() { done <- gw.Serve(ctx, ln) }()
	}
	pc, err := net.Dial("tcp", plain.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	tc, err := net.Dial("tcp", tln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	time.Sleep(50 * time.Millisecond) // both accepted: waiting for their first bytes
	cancel()
	time.Sleep(300 * time.Millisecond)
	for name, c := range map[string]net.Conn{"h2c": pc, "tls": tls.Client(tc, ca.ClientConfig("localhost"))} {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET /late HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatalf("%s: write (handshake): %v, want the accepted connection served", name, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%s accepted before the drain: %v, want an answer", name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "backend" || !resp.Close {
			t.Errorf("%s: %d %q close=%v, want 200 backend with Connection: close", name, resp.StatusCode, body, resp.Close)
		}
	}
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return")
		}
	}
}

// TestExplainHealthProbe: -explain says a probe path is answered by the
// gateway itself, before any rule or dashboard check.
func TestExplainHealthProbe(t *testing.T) {
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) {})
	h := startGateway(t, configYAML(b, ""))
	e, err := h.gw.Explain(source.ExplainQuery{URL: "http://app.example.com/__premier/readyz"})
	if err != nil || e.Answered == nil || e.Answered.Status != 200 || !strings.Contains(e.Answered.Reason, "health probe") {
		t.Fatalf("explain /__premier/readyz: %+v %v", e.Answered, err)
	}
}
