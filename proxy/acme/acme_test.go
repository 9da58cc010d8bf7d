package acme

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/pebbletest"
)

// TestObtainHTTP01 obtains a certificate from a real pebble that validates
// over HTTP-01 on the plain listener, which redirects every other request
// to https; a client then completes a handshake that verifies against
// pebble's root, and the plain listener still redirects.
func TestObtainHTTP01(t *testing.T) {
	r := newRig(t)
	peb := pebbletest.Start(t, port(r.plain), port(r.tls))
	m, err := New(Options{
		Email:             "ops@premier.test",
		Domains:           []string{"api.premier.test"},
		Directory:         peb.Directory,
		CARoot:            peb.CARoot,
		Storage:           filepath.Join(t.TempDir(), "acme"),
		HTTPChallengeAddr: r.plain.Addr().String(),
		Logger:            r.logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.serve(t, m)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m, 30*time.Second)

	leaf := handshake(t, addrOf(r.tls), "api.premier.test", peb.Roots(t))
	if !slices.Contains(leaf.DNSNames, "api.premier.test") {
		t.Fatalf("certificate names %v", leaf.DNSNames)
	}
	if exp, ok := m.Expiry("API.premier.test"); !ok || !exp.Equal(leaf.NotAfter) {
		t.Fatalf("Expiry: %v %v, want the served certificate's %v", exp, ok, leaf.NotAfter)
	}
	if _, ok := m.Expiry("other.premier.test"); ok {
		t.Fatal("Expiry for a name not managed")
	}
	if !strings.Contains(r.log.String(), `challenge=http-01`) {
		t.Fatalf("no HTTP-01 answer in the log:\n%s", r.log.String())
	}
	if strings.Contains(r.log.String(), `challenge=tls-alpn-01`) {
		t.Fatal("TLS-ALPN-01 used though only HTTP-01 was offered")
	}

	// Other requests on the plain listener are redirected as before.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get("http://" + addrOf(r.plain) + "/.well-known/acme-challenge/unknown")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPermanentRedirect {
		t.Fatalf("unknown token: %d, want the redirect", resp.StatusCode)
	}
}

// TestObtainTLSALPN01 obtains a certificate validated over TLS-ALPN-01 on
// the TLS listener alone (HTTP-01 not offered), then serves it.
func TestObtainTLSALPN01(t *testing.T) {
	r := newRig(t)
	peb := pebbletest.Start(t, port(r.plain), port(r.tls))
	m, err := New(Options{
		Domains:              []string{"alpn.premier.test"},
		Directory:            peb.Directory,
		CARoot:               peb.CARoot,
		Storage:              filepath.Join(t.TempDir(), "acme"),
		TLSALPNChallengeAddr: r.tls.Addr().String(),
		Logger:               r.logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.serve(t, m)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m, 30*time.Second)

	leaf := handshake(t, addrOf(r.tls), "alpn.premier.test", peb.Roots(t))
	if !slices.Contains(leaf.DNSNames, "alpn.premier.test") {
		t.Fatalf("certificate names %v", leaf.DNSNames)
	}
	if !strings.Contains(r.log.String(), `challenge=tls-alpn-01`) {
		t.Fatalf("no TLS-ALPN-01 answer in the log:\n%s", r.log.String())
	}
	if strings.Contains(r.log.String(), `challenge=http-01`) {
		t.Fatal("HTTP-01 used though only TLS-ALPN-01 was offered")
	}
	// The storage holds the certificate for the next start.
	if !storageHolds(t, m.opts.Storage, "alpn.premier.test.crt") {
		t.Fatal("no certificate in the storage directory")
	}
}

// storageHolds reports whether a file named name is under dir.
func storageHolds(t *testing.T, dir, name string) bool {
	t.Helper()
	found := false
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == name {
			found = true
		}
		return nil
	})
	return found
}
