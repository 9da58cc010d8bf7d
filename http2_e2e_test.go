package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/tlstest"
)

// TestHTTP2Binary: the binary serves HTTP/2 over TLS (ALPN h2, on by
// default) and, with h2c: true, prior-knowledge HTTP/2 on the plain
// listener, both through the same rules (the backend sees the scheme in
// X-Forwarded-Proto); SIGTERM still drains and exits 0.
func TestHTTP2Binary(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"localhost", "127.0.0.1"}})
	b := backend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyString("proto=" + string(ctx.Request.Header.Peek("X-Forwarded-Proto")))
	})
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  h2c: true\n  tls:\n    listen: \"127.0.0.1:1\"\n    certificates:\n      - {cert_file: %q, key_file: %q}\n",
		b, leaf.CertFile, leaf.KeyFile))
	cmd, addrs, logs := startBinaryTLS(t, cfg, 2, "-listen", "127.0.0.1:0", "-tls-listen", "127.0.0.1:0")

	overTLS := &http.Transport{TLSClientConfig: ca.ClientConfig("localhost"), ForceAttemptHTTP2: true}
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	for _, tc := range []struct {
		url string
		tr  *http.Transport
		// want is the body: the scheme the gateway forwarded
		want string
	}{
		{"https://" + addrs["https"] + "/x", overTLS, "proto=https"},
		{"http://" + addrs["http"] + "/x", h2c, "proto=http"},
	} {
		resp, err := (&http.Client{Timeout: 10 * time.Second, Transport: tc.tr}).Get(tc.url)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.url, err, logs)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tc.tr.CloseIdleConnections()
		if resp.Proto != "HTTP/2.0" || resp.StatusCode != 200 || string(body) != tc.want {
			t.Errorf("%s: %s %d %q, want HTTP/2.0 200 %q", tc.url, resp.Proto, resp.StatusCode, body, tc.want)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "premier stopped cleanly") {
		t.Errorf("no clean stop: %s", logs)
	}
}
