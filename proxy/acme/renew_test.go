package acme

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/pebbletest"
)

// TestRenewsAheadOfExpiry has pebble issue 12-second certificates and
// checks renewal every 200 ms: the manager replaces the certificate before
// the old one expires, and the next handshake serves the new one, verified
// against pebble's root. (With real lifetimes the same check runs every
// 10 minutes and renews with a third of the lifetime left.)
func TestRenewsAheadOfExpiry(t *testing.T) {
	const domain = "renew.premier.test"
	r := newRig(t)
	peb := pebbletest.Start(t, port(r.plain), port(r.tls), pebbletest.Validity(12*time.Second))
	m, err := New(Options{
		Domains:           []string{domain},
		Directory:         peb.Directory,
		CARoot:            peb.CARoot,
		Storage:           filepath.Join(t.TempDir(), "acme"),
		HTTPChallengeAddr: r.plain.Addr().String(),
		Logger:            r.logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.renewCheck = 200 * time.Millisecond
	r.serve(t, m)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m, 30*time.Second)
	roots := peb.Roots(t)
	first := handshake(t, addrOf(r.tls), domain, roots)

	deadline := first.NotAfter
	for {
		now := time.Now()
		if now.After(deadline) {
			t.Fatalf("no renewed certificate before the first one expired at %v", first.NotAfter)
		}
		leaf := handshake(t, addrOf(r.tls), domain, roots)
		if leaf.SerialNumber.Cmp(first.SerialNumber) != 0 {
			if !now.Before(first.NotAfter) {
				t.Fatalf("renewed only at %v, the old certificate expired at %v", now, first.NotAfter)
			}
			if peb.Issued() != 2 {
				t.Fatalf("pebble issued %d certificates, want 2", peb.Issued())
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
