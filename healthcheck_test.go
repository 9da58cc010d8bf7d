package main

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/proxy/config"
)

// TestHealthcheckCLI: `premier -healthcheck` exits 0 with a line saying
// so against a running gateway, 1 once SIGTERM has it draining (its
// lame duck answers /readyz with 503) and 1 when nothing listens; a
// gateway with only a TLS listener is probed over TLS.
func TestHealthcheckCLI(t *testing.T) {
	b := backend(t, func(ctx *fasthttp.RequestCtx) {})
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  dashboard: {enabled: false}\n  limits: {lame_duck: 3}\n", b))
	cmd, url, logs := startBinary(t, cfg)
	addr := strings.TrimPrefix(url, "http://")
	out, errOut, code := runCLI(t, "-healthcheck", "-config", cfg, "-listen", addr)
	if code != 0 || !strings.Contains(out, "healthy: GET http://"+addr+"/__premier/readyz: 200") {
		t.Fatalf("-healthcheck against a ready gateway: %d %q %q", code, out, errOut)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(2 * time.Second)
	for {
		out, errOut, code = runCLI(t, "-healthcheck", "-config", cfg, "-listen", addr)
		if code == 1 && strings.Contains(errOut, "unhealthy") && strings.Contains(errOut, "503") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("-healthcheck during the lame duck: %d %q %q, want 1 and the 503", code, out, errOut)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after the drain: %v\n%s", err, logs)
	}
	_, errOut, code = runCLI(t, "-healthcheck", "-config", cfg, "-listen", addr)
	if code != 1 || !strings.Contains(errOut, "unhealthy") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("-healthcheck with nothing listening: %d %q, want 1 and one line", code, errOut)
	}

	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"gateway.example"}})
	only := writeFile(t, "tls-only.yaml", fmt.Sprintf("premier:\n  listen: \"\"\n  servers: [%q]\n  tls:\n    listen: \"127.0.0.1:1\"\n    certificates:\n      - {cert_file: %q, key_file: %q}\n", b, leaf.CertFile, leaf.KeyFile))
	_, addrs, logs := startBinaryTLS(t, only, 1, "-tls-listen", "127.0.0.1:0")
	out, errOut, code = runCLI(t, "-healthcheck", "-config", only, "-tls-listen", addrs["https"])
	if code != 0 || !strings.Contains(out, "https://"+addrs["https"]+"/__premier/readyz: 200") {
		t.Fatalf("-healthcheck over TLS: %d %q %q\n%s", code, out, errOut, logs)
	}
}

// TestHealthcheckTarget: the probe goes to the plain listener, on
// 127.0.0.1 when it listens on all interfaces, under the configured
// prefix; without a plain listener to the TLS one, skipping certificate
// verification only on a loopback address.
func TestHealthcheckTarget(t *testing.T) {
	c := &config.Config{Dashboard: config.Dashboard{Prefix: "/ops"}}
	for _, tc := range []struct{ addr, tlsAddr, url string }{
		{":8000", "", "http://127.0.0.1:8000/ops/readyz"},
		{"0.0.0.0:80", ":443", "http://127.0.0.1:80/ops/readyz"},
		{"[::]:8080", "", "http://127.0.0.1:8080/ops/readyz"},
		{"192.0.2.7:8000", "", "http://192.0.2.7:8000/ops/readyz"},
		{"localhost:8000", "", "http://localhost:8000/ops/readyz"},
		{"[::1]:8000", "", "http://[::1]:8000/ops/readyz"},
		{"", ":8443", "https://127.0.0.1:8443/ops/readyz"},
		{"", "192.0.2.7:8443", "https://192.0.2.7:8443/ops/readyz"},
	} {
		url, client, err := probeTarget(c, tc.addr, tc.tlsAddr)
		if err != nil || url != tc.url {
			t.Errorf("%q %q: %q %v, want %q", tc.addr, tc.tlsAddr, url, err, tc.url)
			continue
		}
		if client.Timeout != 2*time.Second {
			t.Errorf("timeout %v", client.Timeout)
		}
		if tc.addr == "" {
			skip := client.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify
			if want := strings.Contains(url, "127.0.0.1"); skip != want {
				t.Errorf("%q: InsecureSkipVerify %v, want %v (only on loopback)", tc.tlsAddr, skip, want)
			}
		}
	}
	if _, _, err := probeTarget(c, "", ""); err == nil {
		t.Error("no listener: no error")
	}
}
