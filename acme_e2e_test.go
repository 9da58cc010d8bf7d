package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/pebbletest"
)

// TestACMEBinary runs the command with tls.acme pointing at a real pebble
// and the plain listener off (`listen: ""`), so the CA validates over
// TLS-ALPN-01 on the TLS listener: the gateway obtains a certificate, an
// HTTPS client that trusts only pebble's root is served by the backend,
// SIGTERM stops it cleanly, and a restart over the same storage serves the
// stored certificate without a second order.
func TestACMEBinary(t *testing.T) {
	const domain = "binary.premier.test"
	b := backend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyString("hello over " + string(ctx.Request.Header.Peek("X-Forwarded-Proto")))
	})
	tlsAddr := freeAddr(t)
	_, port, _ := net.SplitHostPort(tlsAddr)
	var tlsPort int
	fmt.Sscan(port, &tlsPort)
	// HTTP-01 would go to a port nothing listens on: this gateway offers
	// TLS-ALPN-01 alone.
	peb := pebbletest.Start(t, 9, tlsPort)
	cfg := writeFile(t, "acme.yaml", fmt.Sprintf(`premier:
  listen: ""
  servers: [%q]
  tls:
    listen: %q
    acme:
      email: ops@premier.test
      domains: [%q]
      directory: %q
      ca_root: %q
      storage: %q
`, b, tlsAddr, domain, peb.Directory, peb.CARoot, filepath.Join(t.TempDir(), "acme")))
	if _, errOut, code := runCLI(t, "-check", "-config", cfg); code != 0 || errOut != "" {
		t.Fatalf("-check: %d %s", code, errOut)
	}

	roots := peb.Roots(t)
	fetch := func(logs *lockedBuffer) (string, []byte) {
		t.Helper()
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: domain}}
		defer tr.CloseIdleConnections()
		client := &http.Client{Timeout: 5 * time.Second, Transport: tr}
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := client.Get("https://" + tlsAddr + "/")
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return string(body), resp.TLS.PeerCertificates[0].Raw
			}
			if time.Now().After(deadline) {
				t.Fatalf("no verified HTTPS answer within 30 s (last: %v):\n%s", err, logs)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	cmd, _, logs := startBinaryTLS(t, cfg, 1)
	body, first := fetch(logs)
	if body != "hello over https" {
		t.Fatalf("body %q", body)
	}
	if !strings.Contains(logs.String(), "challenge=tls-alpn-01") {
		t.Fatalf("no TLS-ALPN-01 answer in the log:\n%s", logs)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil || !strings.Contains(logs.String(), "premier stopped cleanly") {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
	}

	_, _, logs = startBinaryTLS(t, cfg, 1)
	if _, again := fetch(logs); string(again) != string(first) {
		t.Fatal("the restarted gateway serves another certificate than the stored one")
	}
	if n := peb.Issued(); n != 1 {
		t.Fatalf("pebble issued %d certificates, want 1", n)
	}
}

// freeAddr is a loopback address whose port was free a moment ago: pebble
// must know the gateway's port before either starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
