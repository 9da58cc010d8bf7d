package edge

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/premier-gateway/premier/internal/syncbuf"
	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/internal/wait"
	"github.com/premier-gateway/premier/proxy/config"
)

// responder is a real OCSP responder on 127.0.0.1 signing with the test
// CA: good for every certificate, each response valid for validity.
type responder struct {
	url      string
	down     atomic.Bool  // answer 503
	revoked  atomic.Bool  // answer revoked
	requests atomic.Int64 // requests answered good or revoked
}

func startResponder(t *testing.T, ca *tlstest.CA, validity time.Duration) *responder {
	t.Helper()
	r := &responder{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(req.Body)
		oreq, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: oreq.SerialNumber,
			ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(validity)}
		if r.revoked.Load() {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, time.Now().Add(-time.Hour), ocsp.KeyCompromise
		}
		der, err := ocsp.CreateResponse(ca.Cert, ca.Cert, tmpl, ca.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		r.requests.Add(1)
		w.Header().Set("Content-Type", "application/ocsp-response")
		_, _ = w.Write(der)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	r.url = "http://" + ln.Addr().String() + "/ocsp"
	return r
}

// chained writes leaf's certificate followed by the CA's (the issuer the
// stapler needs) and returns the pair's config.
func chained(t *testing.T, ca *tlstest.CA, leaf *tlstest.Issued) config.Certificate {
	p := filepath.Join(t.TempDir(), "chain.pem")
	if err := os.WriteFile(p, append(append([]byte(nil), leaf.CertPEM...), ca.CertPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.Certificate{CertFile: p, KeyFile: leaf.KeyFile}
}

// stapledServer serves pair with a stapler until the test ends.
func stapledServer(t *testing.T, pair config.Certificate, retry time.Duration) (*Listener, *syncbuf.Buffer) {
	t.Helper()
	store, err := LoadStore([]config.Certificate{pair})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	st := NewStapler(store, slog.New(slog.NewTextHandler(logs, nil)), StaplerOptions{Retry: retry})
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(inner, NewConfig(&config.TLS{MinVersion: "1.2"}, store, Options{}), ListenerOptions{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); <-done; st.Stop() })
	return l, logs
}

// stapled handshakes with l and returns the OCSP response it stapled.
func stapled(t *testing.T, l *Listener, ca *tlstest.CA) []byte {
	t.Helper()
	c, err := tls.Dial("tcp", l.Addr().String(), ca.ClientConfig("api.example.test"))
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().OCSPResponse
}

// TestOCSPStapling: a certificate naming a responder is served with the
// responder's answer stapled, which the client verifies against the CA
// for the served certificate; it is fetched again before its NextUpdate;
// with the responder down the last good answer is still stapled until it
// expires, then the certificate is served without one; a revoked status
// is never stapled.
func TestOCSPStapling(t *testing.T) {
	ca := tlstest.NewCA(t)
	resp := startResponder(t, ca, 2*time.Second)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}, OCSPServer: resp.url})
	l, logs := stapledServer(t, chained(t, ca, leaf), 100*time.Millisecond)

	wait.Until(t, "a staple", func() bool { return len(stapled(t, l, ca)) > 0 })
	r, err := ocsp.ParseResponseForCert(stapled(t, l, ca), leaf.Cert, ca.Cert)
	if err != nil || r.Status != ocsp.Good || r.SerialNumber.Cmp(leaf.Cert.SerialNumber) != 0 {
		t.Fatalf("staple: %v %+v", err, r)
	}
	// Refreshed halfway to NextUpdate (1 s here), not only once.
	wait.Until(t, "a refresh before NextUpdate", func() bool { return resp.requests.Load() >= 2 })

	resp.down.Store(true)
	wait.Until(t, "the failure logged", func() bool { return strings.Contains(logs.String(), "OCSP response not stapled") })
	if len(stapled(t, l, ca)) == 0 {
		t.Fatal("the last good staple was dropped while still valid")
	}
	wait.Until(t, "the expired staple dropped", func() bool { return len(stapled(t, l, ca)) == 0 })

	resp.down.Store(false)
	wait.Until(t, "stapled again", func() bool { return len(stapled(t, l, ca)) > 0 })
	resp.revoked.Store(true)
	wait.Until(t, "a revoked status not stapled", func() bool { return len(stapled(t, l, ca)) == 0 })
}

// TestOCSPResponderDown: with the responder down from the start, the
// certificate is served without a staple and handshakes succeed; a
// certificate without a responder or without its issuer in the file is
// never fetched for.
func TestOCSPResponderDown(t *testing.T) {
	ca := tlstest.NewCA(t)
	resp := startResponder(t, ca, time.Hour)
	resp.down.Store(true)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}, OCSPServer: resp.url})
	l, logs := stapledServer(t, chained(t, ca, leaf), 50*time.Millisecond)
	wait.Until(t, "the failure logged", func() bool { return strings.Contains(logs.String(), "HTTP 503") })
	if got := stapled(t, l, ca); len(got) != 0 {
		t.Fatalf("stapled %d bytes with the responder down", len(got))
	}

	other := startResponder(t, ca, time.Hour)
	alone := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}, OCSPServer: other.url}) // no issuer in its file
	none := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}})                         // no responder
	for _, pair := range []config.Certificate{{CertFile: alone.CertFile, KeyFile: alone.KeyFile}, chained(t, ca, none)} {
		l, _ := stapledServer(t, pair, 10*time.Millisecond)
		time.Sleep(100 * time.Millisecond)
		if len(stapled(t, l, ca)) != 0 {
			t.Error("stapled without a responder or an issuer")
		}
	}
	if n := other.requests.Load(); n != 0 {
		t.Errorf("%d fetches for certificates that cannot be stapled", n)
	}
}
