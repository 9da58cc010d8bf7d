package acme

import (
	"bytes"
	"crypto/tls"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/pebbletest"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
)

// TestNewRefuses checks the options New refuses, each with the reason.
func TestNewRefuses(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := Options{Domains: []string{"api.premier.test"}, HTTPChallengeAddr: "127.0.0.1:8000"}
	cases := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no domains", func(o *Options) { o.Domains = nil }, "at least one name"},
		{"wildcard", func(o *Options) { o.Domains = []string{"*.premier.test"} }, "wildcards need DNS-01"},
		{"empty name", func(o *Options) { o.Domains = []string{" "} }, "plain domain name"},
		{"no challenge", func(o *Options) { o.HTTPChallengeAddr = "" }, "no challenge can be answered"},
		{"bad address", func(o *Options) { o.TLSALPNChallengeAddr = "127.0.0.1" }, "challenge address"},
		{"missing ca_root", func(o *Options) { o.CARoot = missing }, "ca_root"},
		{"ca_root without PEM", func(o *Options) { o.CARoot = notPEM }, "holds no PEM certificate"},
	}
	for _, c := range cases {
		o := base
		c.edit(&o)
		if _, err := New(o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	m, err := New(base)
	if err != nil {
		t.Fatal(err)
	}
	if m.opts.Directory != DefaultDirectory || m.opts.Storage != DefaultStorage {
		t.Fatalf("defaults: directory %q storage %q", m.opts.Directory, m.opts.Storage)
	}
}

// TestGetCertificateNames checks which handshakes the source answers
// before it has certificates: its own names with an error, a TLS-ALPN-01
// validation for another name with an error, and every other name with
// nil, nil (not its name: the listener's other certificates decide).
func TestGetCertificateNames(t *testing.T) {
	m, err := New(Options{Domains: []string{"API.premier.test."}, HTTPChallengeAddr: "127.0.0.1:8000"})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Manages("api.premier.test") || !m.Manages("Api.Premier.Test") || m.Manages("other.premier.test") {
		t.Fatal("Manages compares names case-insensitively, without the trailing dot")
	}
	if _, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: "api.premier.test"}); !errors.Is(err, errNotStarted) {
		t.Fatalf("own name before Start: %v", err)
	}
	c, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: "other.premier.test", SupportedProtos: []string{"h2", "http/1.1", ALPNProto}})
	if c != nil || err != nil {
		t.Fatalf("other name: %v %v, want nil, nil", c, err)
	}
	if _, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: "other.premier.test", SupportedProtos: []string{ALPNProto}}); err == nil {
		t.Fatal("a TLS-ALPN-01 validation for a name not in domains was answered")
	}
	if _, ok := m.Expiry("api.premier.test"); ok {
		t.Fatal("Expiry before Start")
	}
	m.Stop() // without Start: a no-op
	m.Stop()
	if err := m.Start(); err != nil || m.cfg.Load() != nil {
		t.Fatalf("Start after Stop started (%v)", err)
	}
}

// TestRestartLoadsFromStorage obtains a certificate, stops, and starts a
// new manager over the same storage: it serves the stored certificate
// without a second order.
func TestRestartLoadsFromStorage(t *testing.T) {
	r := newRig(t)
	peb := pebbletest.Start(t, port(r.plain), port(r.tls))
	opts := Options{
		Email:             "ops@premier.test",
		Domains:           []string{"again.premier.test"},
		Directory:         peb.Directory,
		CARoot:            peb.CARoot,
		Storage:           filepath.Join(t.TempDir(), "acme"),
		HTTPChallengeAddr: r.plain.Addr().String(),
		Logger:            r.logger(),
	}
	first, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	r.serve(t, first)
	waitReady(t, first, 30*time.Second)
	roots := peb.Roots(t)
	before := handshake(t, addrOf(r.tls), "again.premier.test", roots)
	first.Stop()

	second, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	r2 := newRig(t)
	r2.serve(t, second)
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, second, 10*time.Second)
	after := handshake(t, addrOf(r2.tls), "again.premier.test", roots)
	if !bytes.Equal(after.Raw, before.Raw) {
		t.Fatal("the restarted manager serves another certificate than the stored one")
	}
	if n := peb.Issued(); n != 1 {
		t.Fatalf("pebble issued %d certificates, want 1 (the restart loads the stored one)", n)
	}
}

// TestHTTPChallengeCheapPath checks the plain listener's check: only GETs
// under the challenge prefix for a managed name reach certmagic, and the
// check allocates nothing for ordinary requests.
func TestHTTPChallengeCheapPath(t *testing.T) {
	m, err := New(Options{Domains: []string{"api.premier.test"}, HTTPChallengeAddr: "127.0.0.1:8000"})
	if err != nil {
		t.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.SetRequestURI("/api/users/42")
	ctx.Request.Header.SetHost("api.premier.test")
	if IsHTTPChallenge(&ctx) || m.ServeHTTPChallenge(&ctx) {
		t.Fatal("an ordinary request taken for a challenge")
	}
	if n := testing.AllocsPerRun(100, func() { m.ServeHTTPChallenge(&ctx) }); n != 0 {
		t.Fatalf("ServeHTTPChallenge allocates %.0f times on an ordinary request", n)
	}
	ctx.Request.SetRequestURI(ChallengePrefix + "token")
	if !IsHTTPChallenge(&ctx) {
		t.Fatal("a challenge path not recognised")
	}
	// Not started: nothing to answer with, so the request goes on its way.
	if m.ServeHTTPChallenge(&ctx) {
		t.Fatal("answered before Start")
	}
	ctx.Request.Header.SetMethod("POST")
	if IsHTTPChallenge(&ctx) {
		t.Fatal("a POST taken for a challenge")
	}
	for h, want := range map[string]string{"api.premier.test:8000": "api.premier.test", "api.premier.test": "api.premier.test", "[::1]:80": "::1", "[::1]": "::1"} {
		if got := string(hostOnly([]byte(h))); got != want {
			t.Errorf("hostOnly(%q) = %q, want %q", h, got, want)
		}
	}
}

// TestZapToSlog checks that certmagic's zap lines reach the slog logger
// with their level and fields, its Info chatter as Debug, and that lines
// below the logger's level are dropped.
func TestZapToSlog(t *testing.T) {
	var buf bytes.Buffer
	zl := newZapLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	zl.Named("obtain").With(zap.String("identifier", "api.premier.test")).
		Info("certificate obtained successfully", zap.Duration("took", time.Second), zap.Error(errors.New("none")))
	zl.Debug("http request", zap.String("url", "https://ca/dir"))
	zl.Info("acquiring lock", zap.String("identifier", "api.premier.test"))
	zl.Warn("looking up info", zap.Int("attempt", 2))
	out := buf.String()
	for _, want := range []string{
		`level=INFO msg="certificate obtained successfully" component=acme logger=obtain identifier=api.premier.test took=1s error=none`,
		`level=WARN msg="looking up info" component=acme attempt=2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "http request") || strings.Contains(out, "acquiring lock") {
		t.Errorf("a Debug line (or Info chatter) reached an Info log:\n%s", out)
	}
	if zl.Core().Enabled(zap.DebugLevel) || !zl.Core().Enabled(zap.ErrorLevel) {
		t.Error("Enabled does not follow the slog handler's level")
	}
}
