package edge

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/internal/wait"
)

// resumes dials l with cfg (sharing its session cache) and reports
// whether the handshake resumed a session. It reads once so the TLS 1.3
// ticket, sent after the handshake, reaches the cache.
func resumes(t *testing.T, l *Listener, cfg *tls.Config) bool {
	t.Helper()
	c, err := tls.Dial("tcp", l.Addr().String(), cfg)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = c.Read(make([]byte, 1)) // the server closes after the handshake; the ticket comes first
	return c.ConnectionState().DidResume
}

// TestSessionTicketRotation: a client resumes with the ticket it was
// given while its key is among the kept ones (after TicketKeysKept-1
// rotations it is the oldest); once the key that sealed it is rotated out
// the handshake is a full one; on TLS 1.2 and 1.3.
func TestSessionTicketRotation(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}})
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		l := serveTLS(t, []*tlstest.Issued{leaf}, Options{}, ListenerOptions{})
		keys := NewTicketKeys(l.cfg, 0)
		fresh := func() *tls.Config {
			cfg := ca.ClientConfig("api.example.test")
			cfg.MaxVersion = v
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			return cfg
		}
		kept := fresh()
		if resumes(t, l, kept) {
			t.Fatal("first handshake resumed")
		}
		for i := 0; i < TicketKeysKept-1; i++ {
			keys.Rotate()
		}
		if !resumes(t, l, kept) {
			t.Errorf("version %x: not resumed after %d rotations (its key is the oldest kept)", v, TicketKeysKept-1)
		}
		dropped := fresh()
		if resumes(t, l, dropped) {
			t.Fatal("fresh cache resumed")
		}
		for i := 0; i < TicketKeysKept; i++ {
			keys.Rotate()
		}
		if resumes(t, l, dropped) {
			t.Errorf("version %x: resumed with a ticket whose key was rotated out", v)
		}
		keys.Stop()
	}
}

// TestSessionTicketRotationRuns: with an interval the keys rotate on
// their own, and Stop ends the goroutine (the package's leak check).
func TestSessionTicketRotationRuns(t *testing.T) {
	cfg := &tls.Config{}
	k := NewTicketKeys(cfg, 5*time.Millisecond)
	first := k.current()
	wait.Until(t, "a rotation", func() bool { return k.current() != first })
	k.Stop()
}

func (k *TicketKeys) current() [32]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[0]
}
