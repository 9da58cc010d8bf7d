package proxy

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/pebbletest"
	"github.com/premier-gateway/premier/internal/syncbuf"
	"github.com/premier-gateway/premier/proxy/acme"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/edge"
)

// TestACMEHTTP01ThroughGateway obtains a certificate from a real pebble
// whose HTTP-01 validation reaches the gateway's plain listener, where the
// request path answers it ahead of the rule that would otherwise forward
// every path (and the dashboard prefix); then an HTTPS client that trusts
// only pebble's root is served by the backend through the TLS listener.
func TestACMEHTTP01ThroughGateway(t *testing.T) {
	const domain = "gw.premier.test"
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyString("backend saw " + string(ctx.Path()) + " proto=" + string(ctx.Request.Header.Peek("X-Forwarded-Proto")))
	})
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	peb := pebbletest.Start(t, plain.Addr().(*net.TCPAddr).Port, raw.Addr().(*net.TCPAddr).Port)

	storage := filepath.Join(t.TempDir(), "acme")
	yaml := configYAML(backend, "  paths:\n    - pattern: \"/*\"\n  tls:\n    acme:\n      domains: [\""+domain+"\"]\n      directory: \""+peb.Directory+"\"\n      ca_root: \""+peb.CARoot+"\"\n      storage: \""+storage+"\"\n")
	l, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &syncbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	gw, err := New(l, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	a := l.Config.TLS.ACME
	m, err := acme.New(acme.Options{
		Domains: a.Domains, Directory: a.Directory, CARoot: a.CARoot, Storage: a.Storage,
		HTTPChallengeAddr: plain.Addr().String(), // HTTP-01 only
		Logger:            log,
	})
	if err != nil {
		t.Fatal(err)
	}
	gw.SetACMEChallenge(m.ServeHTTPChallenge)
	tln, err := gw.ListenTLS(raw, TLSOptions{Sources: []edge.CertSource{m.GetCertificate}, Protocols: []string{acme.ALPNProto}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = gw.Serve(ctx, plain); done <- struct{}{} }()
	go func() { _ = gw.Serve(ctx, tln); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
		m.Stop()
		gw.Close()
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs.String())
		}
	})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("no certificate within 30 s")
	}
	if !strings.Contains(logs.String(), "challenge=http-01") {
		t.Fatalf("the validation was not answered over HTTP-01:\n%s", logs.String())
	}

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: peb.Roots(t), ServerName: domain}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	resp, err := client.Get("https://" + tln.Addr().String() + "/api/x")
	if err != nil {
		t.Fatalf("https through the gateway with pebble's certificate: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "backend saw /api/x proto=https" {
		t.Fatalf("https: %d %q", resp.StatusCode, body)
	}
	// A challenge path nobody issued goes on to the rule as usual.
	resp, err = http.Get("http://" + plain.Addr().String() + acme.ChallengePrefix + "unknown")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "backend saw "+acme.ChallengePrefix+"unknown proto=http" {
		t.Fatalf("unknown token: %d %q", resp.StatusCode, body)
	}
}
