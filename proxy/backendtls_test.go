package proxy

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/wait"
	"github.com/premier-gateway/premier/proxy/config"
)

// The backend_tls tests run real handshakes on loopback sockets against
// certificates made by throwaway CAs (backendtls_helpers_test.go).

func expectBody(t *testing.T, url, want string) {
	t.Helper()
	resp, body := do(t, "GET", url, nil, nil)
	if resp.StatusCode != 200 || body != want {
		t.Fatalf("GET %s: %d %q, want 200 %q", url, resp.StatusCode, body, want)
	}
}

func expectStatus(t *testing.T, url string, want int) {
	t.Helper()
	if resp, body := do(t, "GET", url, nil, nil); resp.StatusCode != want {
		t.Fatalf("GET %s: %d %q, want %d", url, resp.StatusCode, body, want)
	}
}

func TestBackendTLSVerifiedByCAFile(t *testing.T) {
	ca := newTestCA(t, "backends")
	b := startTLSBackend(t, ca.issue("api", false, "127.0.0.1"), tls.NoClientCert, nil, tlsInfo)
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q]
  backend_tls: {ca_file: %q}
`, b.url, ca.file))
	expectBody(t, h.url+"/", "client=none resumed=no")
	if sni := b.sni.Load(); sni != "" {
		t.Fatalf("an IP address went out as SNI %q", sni)
	}
}

// Without ca_file the system roots verify, and they do not know the
// test's CA; a CA that did not sign the backend fails the same way. The
// client gets 502 and the log says it was the handshake, and why.
func TestBackendTLSWrongCAIs502(t *testing.T) {
	ca, other := newTestCA(t, "backends"), newTestCA(t, "other")
	b := startTLSBackend(t, ca.issue("api", false, "127.0.0.1"), tls.NoClientCert, nil, tlsInfo)
	for name, block := range map[string]string{
		"system roots": "",
		"other CA":     fmt.Sprintf("  backend_tls: {ca_file: %q}\n", other.file),
	} {
		t.Run(name, func(t *testing.T) {
			h := startGateway(t, configYAML(b.url, block))
			expectStatus(t, h.url+"/", http.StatusBadGateway)
			logs := h.logs.String()
			if !strings.Contains(logs, "backend request failed") || !strings.Contains(logs, "TLS handshake with 127.0.0.1:") ||
				!strings.Contains(logs, "certificate signed by unknown authority") {
				t.Fatalf("log does not say the handshake failed and why:\n%s", logs)
			}
		})
	}
}

// server_name replaces the URL's host both in SNI and in the name verified.
func TestBackendTLSServerName(t *testing.T) {
	ca := newTestCA(t, "backends")
	b := startTLSBackend(t, ca.issue("api", false, "api.internal"), tls.NoClientCert, nil, tlsInfo)

	h := startGateway(t, configYAML(b.url, fmt.Sprintf("  backend_tls: {ca_file: %q}\n", ca.file)))
	expectStatus(t, h.url+"/", http.StatusBadGateway) // the certificate is not for 127.0.0.1
	if logs := h.logs.String(); !strings.Contains(logs, "127.0.0.1") || !strings.Contains(logs, "x509") {
		t.Fatalf("log does not name the mismatch:\n%s", logs)
	}

	h = startGateway(t, configYAML(b.url, fmt.Sprintf("  backend_tls: {ca_file: %q, server_name: api.internal}\n", ca.file)))
	expectBody(t, h.url+"/", "client=none resumed=no")
	if sni := b.sni.Load(); sni != "api.internal" {
		t.Fatalf("SNI %q, want api.internal", sni)
	}
}

// mTLS to a backend that requires a client certificate from the
// gateway's CA: the gateway verifies the backend, the backend the gateway.
func TestBackendTLSClientCertificate(t *testing.T) {
	ca, clients := newTestCA(t, "backends"), newTestCA(t, "clients")
	gwCert := clients.issue("premier-gateway", true)
	b := startTLSBackend(t, ca.issue("api", false, "127.0.0.1"), tls.RequireAndVerifyClientCert, clients.pool, tlsInfo)

	h := startGateway(t, configYAML(b.url, fmt.Sprintf("  backend_tls: {ca_file: %q}\n", ca.file)))
	// No certificate: the backend refuses the handshake. In TLS 1.3 its
	// alert arrives where the response should, and the log shows it.
	expectStatus(t, h.url+"/", http.StatusBadGateway)
	if logs := h.logs.String(); !strings.Contains(logs, "TLS connection: remote error: tls: certificate required") {
		t.Fatalf("log does not say the backend wanted a certificate:\n%s", logs)
	}

	// A certificate from a CA the backend does not trust is refused too.
	stranger := ca.issue("stranger", true)
	h = startGateway(t, configYAML(b.url, fmt.Sprintf("  backend_tls: {ca_file: %q, cert_file: %q, key_file: %q}\n",
		ca.file, stranger.certFile, stranger.keyFile)))
	expectStatus(t, h.url+"/", http.StatusBadGateway)

	h = startGateway(t, configYAML(b.url, fmt.Sprintf("  backend_tls: {ca_file: %q, cert_file: %q, key_file: %q}\n",
		ca.file, gwCert.certFile, gwCert.keyFile)))
	expectBody(t, h.url+"/", "client=premier-gateway resumed=no")

	// The gateway still verifies the backend while presenting its own.
	other := newTestCA(t, "other")
	h = startGateway(t, configYAML(b.url, fmt.Sprintf("  backend_tls: {ca_file: %q, cert_file: %q, key_file: %q}\n",
		other.file, gwCert.certFile, gwCert.keyFile)))
	expectStatus(t, h.url+"/", http.StatusBadGateway)
}

func TestBackendTLSInsecureSkipVerify(t *testing.T) {
	ca := newTestCA(t, "unknown")
	b := startTLSBackend(t, ca.issue("api", false, "elsewhere.example"), tls.NoClientCert, nil, tlsInfo)
	yaml := configYAML(b.url, "  backend_tls: {insecure_skip_verify: true}\n")
	l, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var warned bool
	for _, w := range l.Warnings {
		warned = warned || strings.Contains(w.Msg, "backend_tls.insecure_skip_verify")
	}
	if !warned {
		t.Fatalf("no warning about insecure_skip_verify: %v", l.Warnings)
	}
	h := startGateway(t, yaml)
	expectBody(t, h.url+"/", "client=none resumed=no")
}

// A rule's backend_tls replaces the top-level one for that rule's
// backends. One URL under two settings is two backends: the rule's mTLS
// connections never serve the other rules, nor theirs the rule.
func TestBackendTLSPerRule(t *testing.T) {
	ca, other, clients := newTestCA(t, "backends"), newTestCA(t, "other"), newTestCA(t, "clients")
	gwCert := clients.issue("premier-gateway", true)
	shared := startTLSBackend(t, ca.issue("shared", false, "127.0.0.1"), tls.VerifyClientCertIfGiven, clients.pool, tlsInfo)
	own := startTLSBackend(t, other.issue("own", false, "127.0.0.1"), tls.NoClientCert, nil, tlsInfo)
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q]
  backend_tls: {ca_file: %q}
  paths:
    - pattern: /mtls/*
      backend_tls: {ca_file: %q, cert_file: %q, key_file: %q}
    - pattern: /own/*
      servers: [%q]
      backend_tls: {ca_file: %q}
    - pattern: /same/*
      backend_tls: {ca_file: %q}
`, shared.url, ca.file, ca.file, gwCert.certFile, gwCert.keyFile, own.url, other.file, ca.file))
	for range 3 { // interleaved, over kept-alive connections
		expectBody(t, h.url+"/mtls/x", "client=premier-gateway resumed=no")
		expectBody(t, h.url+"/x", "client=none resumed=no")
		expectBody(t, h.url+"/same/x", "client=none resumed=no")
		expectBody(t, h.url+"/own/x", "client=none resumed=no")
	}
	// The shared URL twice (the rule's own settings labelled), the rule's
	// own server once (labelled: its settings are not the top level's);
	// /same/* connects as the top level does and shares its backend.
	var plain, labelled, ownN int
	for _, b := range h.gw.pool.Backends() {
		switch {
		case b.URL == shared.url:
			plain++
		case strings.HasPrefix(b.URL, shared.url+"#tls-"):
			labelled++
		case strings.HasPrefix(b.URL, own.url+"#tls-"):
			ownN++
		default:
			t.Errorf("unexpected backend %q", b.URL)
		}
	}
	if plain != 1 || labelled != 1 || ownN != 1 {
		t.Fatalf("backends: %d %s, %d labelled, %d %s", plain, shared.url, labelled, ownN, own.url)
	}
}

func TestBackendTLSKeepAliveAndResumption(t *testing.T) {
	ca := newTestCA(t, "backends")
	b := startTLSBackend(t, ca.issue("api", false, "127.0.0.1"), tls.NoClientCert, nil, tlsInfo)
	h := startGateway(t, configYAML(b.url, fmt.Sprintf("  backend_tls: {ca_file: %q}\n", ca.file)))
	for range 50 {
		expectBody(t, h.url+"/", "client=none resumed=no")
	}
	if n := b.accepted.Load(); n != 1 {
		t.Fatalf("the backend accepted %d connections for 50 sequential requests, want 1", n)
	}
	// A new connection resumes the session the first one was given.
	for _, be := range h.gw.pool.Backends() {
		be.Client.CloseIdleConnections()
	}
	expectBody(t, h.url+"/", "client=none resumed=yes")
	if n := b.accepted.Load(); n != 2 {
		t.Fatalf("accepted %d connections, want 2", n)
	}
}

// Pipelined GETs (lb.pipeline) go over TLS connections made with the
// backend's settings.
func TestBackendTLSPipelined(t *testing.T) {
	ca, clients := newTestCA(t, "backends"), newTestCA(t, "clients")
	gwCert := clients.issue("premier-gateway", true)
	b := startTLSBackend(t, ca.issue("api", false, "api.internal"), tls.RequireAndVerifyClientCert, clients.pool, tlsInfo)
	h := startGateway(t, configYAML(b.url, fmt.Sprintf("  lb: {pipeline: 1}\n  backend_tls: {ca_file: %q, cert_file: %q, key_file: %q, server_name: api.internal}\n",
		ca.file, gwCert.certFile, gwCert.keyFile)))
	for range 20 {
		expectBody(t, h.url+"/", "client=premier-gateway resumed=no")
	}
	if n := b.accepted.Load(); n != 1 {
		t.Fatalf("the backend accepted %d connections, want the one pipelined connection", n)
	}
}

// Active health checks probe https backends with the backend's TLS
// settings, client certificate included.
func TestBackendTLSHealthChecks(t *testing.T) {
	ca, clients := newTestCA(t, "backends"), newTestCA(t, "clients")
	gwCert := clients.issue("premier-gateway", true)
	var up atomic.Bool
	var probes atomic.Int32
	up.Store(true)
	b := startTLSBackend(t, ca.issue("api", false, "127.0.0.1"), tls.RequireAndVerifyClientCert, clients.pool, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/healthz" {
			probes.Add(1)
			if !up.Load() {
				ctx.SetStatusCode(503)
			}
			return
		}
		tlsInfo(ctx)
	})
	h := startGateway(t, fmt.Sprintf(`premier:
  servers: [%q]
  backend_tls: {ca_file: %q, cert_file: %q, key_file: %q}
  lb:
    health_check: {path: /healthz, interval: 0.05, timeout: 2, healthy_threshold: 1, unhealthy_threshold: 1}
`, b.url, ca.file, gwCert.certFile, gwCert.keyFile))
	healthy := func(want bool) func() bool {
		return func() bool {
			bs := h.gw.pool.Backends()
			return len(bs) == 1 && bs[0].Healthy() == want && bs[0].Stats().HealthChecked
		}
	}
	wait.Until(t, "probes over TLS", func() bool { return probes.Load() >= 3 })
	if !healthy(true)() {
		t.Fatal("backend not healthy though its probes pass")
	}
	up.Store(false)
	wait.Until(t, "backend marked down by its probes", healthy(false))
	up.Store(true)
	wait.Until(t, "backend back", healthy(true))
	// The probes' TLS session resumes on the request pool's connection.
	expectBody(t, h.url+"/", "client=premier-gateway resumed=yes")
}

// A WebSocket upgrade goes to a wss backend over TLS with the settings.
func TestBackendTLSWebSocket(t *testing.T) {
	ca, clients := newTestCA(t, "backends"), newTestCA(t, "clients")
	gwCert := clients.issue("premier-gateway", true)
	up := websocket.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true }}
	b := startTLSBackend(t, ca.issue("api", false, "127.0.0.1"), tls.RequireAndVerifyClientCert, clients.pool, func(ctx *fasthttp.RequestCtx) {
		cn := ctx.TLSConnectionState().PeerCertificates[0].Subject.CommonName
		_ = up.Upgrade(ctx, func(c *websocket.Conn) {
			defer c.Close()
			for {
				mt, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				if err := c.WriteMessage(mt, append([]byte(cn+":"), msg...)); err != nil {
					return
				}
			}
		})
	})
	h := startGateway(t, configYAML(b.url, fmt.Sprintf("  backend_tls: {ca_file: %q, cert_file: %q, key_file: %q}\n  paths:\n    - pattern: /ws\n",
		ca.file, gwCert.certFile, gwCert.keyFile)))
	c, _, err := wsDial(t, wsURL(h, "/ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []string{"hello", strings.Repeat("x", 70000)} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, got, err := c.ReadMessage(); err != nil || string(got) != "premier-gateway:"+m {
			t.Fatalf("echo: %.40q %v", got, err)
		}
	}
}

// Certificate files are read at load and reload: a broken one fails the
// reload with its key and path, and the running configuration keeps
// serving with the certificate it read before.
func TestBackendTLSReloadReadsFiles(t *testing.T) {
	ca, clients := newTestCA(t, "backends"), newTestCA(t, "clients")
	gwCert := clients.issue("premier-gateway", true)
	b := startTLSBackend(t, ca.issue("api", false, "127.0.0.1"), tls.RequireAndVerifyClientCert, clients.pool, tlsInfo)
	yaml := configYAML(b.url, fmt.Sprintf("  backend_tls: {ca_file: %q, cert_file: %q, key_file: %q}\n",
		ca.file, gwCert.certFile, gwCert.keyFile))
	h := startGateway(t, yaml)
	expectBody(t, h.url+"/", "client=premier-gateway resumed=no")

	// The key file is replaced by one that does not match the certificate.
	stray := clients.issue("stray", true)
	writeFile(t, gwCert.keyFile, readFile(t, stray.keyFile))
	err := h.gw.reloadBytes("test.yaml", []byte(yaml))
	if err == nil || !strings.Contains(err.Error(), "cert_file: "+gwCert.certFile) || !strings.Contains(err.Error(), "test.yaml:") {
		t.Fatalf("reload with a mismatched key: %v", err)
	}
	expectBody(t, h.url+"/", "client=premier-gateway resumed=no")

	// A renewed pair under the same names is picked up by the next reload.
	renewed := clients.issue("premier-gateway-renewed", true)
	writeFile(t, gwCert.certFile, readFile(t, renewed.certFile))
	writeFile(t, gwCert.keyFile, readFile(t, renewed.keyFile))
	if err := h.gw.reloadBytes("test.yaml", []byte(yaml)); err != nil {
		t.Fatal(err)
	}
	expectBody(t, h.url+"/", "client=premier-gateway-renewed resumed=no")
	if bs := h.gw.pool.Backends(); len(bs) != 1 {
		t.Fatalf("%d backends after the reload, want the renewed one alone", len(bs))
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
