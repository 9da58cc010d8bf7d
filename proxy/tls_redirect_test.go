package proxy

import (
	"bufio"
	"net"
	"net/http"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// rawPlain sends one raw request head to the plain listener and returns
// the response (its body read).
func rawPlain(t *testing.T, addr, head string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", head, err)
	}
	_ = resp.Body.Close()
	return resp
}

// TestTLSRedirectHTTP: with redirect_http the plain listener answers 308
// to https://HOST:TLSPORT/path?query (HOST without the request's port,
// the path and query as sent, an absolute-form target's authority as the
// host); a Host that is not a DNS name or IP address (no header
// injection, no userinfo, no path) is a 400 with no Location; ACME's
// challenge path is not redirected (the rules answer it, the backend
// here); the TLS listener serves as usual.
func TestTLSRedirectHTTP(t *testing.T) {
	ca, leaf := localLeaf(t)
	b := startRecBackend(t)
	h := startTLSGateway(t, ca, configYAML(b.url, tlsBlock(leaf, "    redirect_http: true\n")))
	_, port, _ := net.SplitHostPort(h.tlsAddr)
	for _, tc := range []struct{ head, want string }{
		{"GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: api.example.com:8000\r\n\r\n", "https://api.example.com:" + port + "/a/b?x=1&y=%20"},
		{"GET / HTTP/1.1\r\nHost: API.example.com\r\n\r\n", "https://API.example.com:" + port + "/"},
		{"POST /p HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 0\r\n\r\n", "https://[::1]:" + port + "/p"},
		{"GET /q?z HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n", "https://192.0.2.1:" + port + "/q?z"},
		{"GET http://other.example/abs?k HTTP/1.1\r\nHost: api.example.com\r\n\r\n", "https://other.example:" + port + "/abs?k"},
		{"GET /__premier/ HTTP/1.1\r\nHost: localhost\r\n\r\n", "https://localhost:" + port + "/__premier/"},
	} {
		resp := rawPlain(t, h.addr, tc.head)
		if resp.StatusCode != 308 || resp.Header.Get("Location") != tc.want {
			t.Errorf("%q: %d Location %q, want 308 %q", tc.head, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
	for _, host := range []string{"evil.example%0d%0aSet-Cookie:x=1", "user@evil.example", "a_b.example", "[::1", "[zz::1]", "example.com:80x", "example.com:1234567", "", "exa$mple.com"} {
		resp := rawPlain(t, h.addr, "GET /x HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
			t.Errorf("Host %q: %d Location %q, want 400 and none", host, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp := rawPlain(t, h.addr, "GET /x HTTP/1.0\r\n\r\n"); resp.StatusCode != 400 {
		t.Errorf("no Host: %d, want 400", resp.StatusCode)
	}
	resp := rawPlain(t, h.addr, "GET /.well-known/acme-challenge/tok123 HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Errorf("ACME challenge path: %d, want the rules' answer (200)", resp.StatusCode)
	}
	if got := b.waitRequests(t, 1)[0].Target; got != "/.well-known/acme-challenge/tok123" {
		t.Errorf("backend saw %q", got)
	}
	if code, _, _ := h.get(t, true, "/over-tls", nil); code != 200 {
		t.Errorf("TLS listener: %d", code)
	}
}

// TestTLSRedirectPort: the TLS listener's own port is kept in Location,
// except 443, which https implies.
func TestTLSRedirectPort(t *testing.T) {
	for port, want := range map[int]string{443: "", 8443: ":8443"} {
		var s tlsState
		s.setTLSAnswers(&config.TLS{Listen: ":1", RedirectHTTP: true}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if string(s.portSuffix) != want {
			t.Errorf("port %d: suffix %q, want %q", port, s.portSuffix, want)
		}
	}
}

// TestTLSHSTS: Strict-Transport-Security (with includeSubDomains when
// asked) on every answer over TLS — the backend's, the gateway's own 404
// and the dashboard's — and on none over plain HTTP; max_age 0 sends none.
func TestTLSHSTS(t *testing.T) {
	ca, leaf := localLeaf(t)
	b := startRecBackend(t)
	h := startTLSGateway(t, ca, configYAML(b.url, "  paths:\n    - pattern: /api/*\n"+tlsBlock(leaf, "    hsts: {max_age: 63072000, include_subdomains: true}\n")))
	const want = "max-age=63072000; includeSubDomains"
	for _, target := range []string{"/api/x", "/nowhere", "/__premier/api/summary"} {
		_, hdr, _ := h.get(t, true, target, nil)
		if got := hdr.Get("Strict-Transport-Security"); got != want {
			t.Errorf("https %s: HSTS %q, want %q", target, got, want)
		}
		_, hdr, _ = h.get(t, false, target, nil)
		if got := hdr.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("http %s: HSTS %q, want none", target, got)
		}
	}
	h0 := startTLSGateway(t, ca, configYAML(b.url, tlsBlock(leaf, "")))
	if _, hdr, _ := h0.get(t, true, "/x", nil); hdr.Get("Strict-Transport-Security") != "" {
		t.Errorf("max_age 0: HSTS %q", hdr.Get("Strict-Transport-Security"))
	}
}

// TestTLSRedirectWithACMEHandler: with the gateway's own ACME handler the
// challenges it answers are answered, and any other path under the
// challenge prefix is redirected like every other request.
func TestTLSRedirectWithACMEHandler(t *testing.T) {
	ca, leaf := localLeaf(t)
	b := startRecBackend(t)
	h := startTLSGatewayWith(t, ca, configYAML(b.url, tlsBlock(leaf, "    redirect_http: true\n")), func(g *Gateway) {
		g.SetACMEChallenge(func(ctx *fasthttp.RequestCtx) bool {
			if string(ctx.Path()) != "/.well-known/acme-challenge/issued" {
				return false
			}
			ctx.SetBodyString("key-authorization")
			return true
		})
	})
	if resp := rawPlain(t, h.addr, "GET /.well-known/acme-challenge/issued HTTP/1.1\r\nHost: api.example.com\r\n\r\n"); resp.StatusCode != 200 {
		t.Errorf("issued challenge: %d, want 200", resp.StatusCode)
	}
	resp := rawPlain(t, h.addr, "GET /.well-known/acme-challenge/madeup HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
	if _, port, _ := net.SplitHostPort(h.tlsAddr); resp.StatusCode != 308 || resp.Header.Get("Location") != "https://api.example.com:"+port+"/.well-known/acme-challenge/madeup" {
		t.Errorf("made-up token: %d %q, want the redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
}
