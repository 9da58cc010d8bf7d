package proxy

import (
	"bufio"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/internal/wait"
)

// liveFiles are a certificate and key at fixed paths whose contents the
// test replaces the way certbot does (write aside, rename over).
type liveFiles struct{ cert, key string }

func newLiveFiles(t *testing.T, leaf *tlstest.Issued) *liveFiles {
	dir := t.TempDir()
	f := &liveFiles{cert: filepath.Join(dir, "live.pem"), key: filepath.Join(dir, "live.key")}
	f.put(t, leaf.CertPEM, leaf.KeyPEM)
	return f
}

func (f *liveFiles) put(t *testing.T, cert, key []byte) {
	t.Helper()
	for _, w := range []struct {
		path string
		data []byte
	}{{f.cert, cert}, {f.key, key}} {
		if err := os.WriteFile(w.path+".tmp", w.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(w.path+".tmp", w.path); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *liveFiles) block() string {
	return "  tls:\n    certificates:\n      - {cert_file: \"" + f.cert + "\", key_file: \"" + f.key + "\"}\n"
}

// handshakeSerial completes a new handshake with the TLS listener and
// returns the serial of the certificate served.
func (h *tlsHarness) handshakeSerial(t *testing.T) string {
	t.Helper()
	c, err := tls.Dial("tcp", h.tlsAddr, h.ca.ClientConfig("localhost"))
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// keepAliveGet sends one GET on an open connection and returns the status.
func keepAliveGet(t *testing.T, c *tls.Conn, br *bufio.Reader) int {
	t.Helper()
	if _, err := c.Write([]byte("GET /ka HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
		t.Fatalf("keep-alive write: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("keep-alive read: %v", err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestTLSCertificateFilesReload: the certificate files replaced on disk
// are served from the next handshake on, within the poll interval, with
// no restart, and a keep-alive connection opened before keeps working; a
// broken pair (a key that does not match, a half-written file) is refused
// with one log line naming the files and the previous certificate keeps
// serving; fixing the files is picked up again.
func TestTLSCertificateFilesReload(t *testing.T) {
	ca := tlstest.NewCA(t)
	names := []string{"localhost", "127.0.0.1"}
	first := ca.Issue(tlstest.Leaf{Names: names, Serial: 5001})
	files := newLiveFiles(t, first)
	b := startRecBackend(t)
	h := startTLSGatewayWith(t, ca, configYAML(b.url, files.block()), func(g *Gateway) { g.tls.pollInterval = 50 * time.Millisecond })

	ka, err := tls.Dial("tcp", h.tlsAddr, ca.ClientConfig("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	defer ka.Close()
	br := bufio.NewReader(ka)
	if code := keepAliveGet(t, ka, br); code != 200 {
		t.Fatalf("keep-alive before: %d", code)
	}
	if got := h.handshakeSerial(t); got != "5001" {
		t.Fatalf("serial %s, want 5001", got)
	}

	second := ca.Issue(tlstest.Leaf{Names: names, Serial: 5002})
	files.put(t, second.CertPEM, second.KeyPEM)
	wait.Until(t, "the new certificate served", func() bool { return h.handshakeSerial(t) == "5002" })
	if code := keepAliveGet(t, ka, br); code != 200 {
		t.Fatalf("keep-alive after the reload: %d", code)
	}
	if ka.ConnectionState().PeerCertificates[0].SerialNumber.String() != "5001" {
		t.Fatal("the open connection changed certificate")
	}

	// A mismatched pair: the third certificate with the second's key.
	third := ca.Issue(tlstest.Leaf{Names: names, Serial: 5003})
	files.put(t, third.CertPEM, second.KeyPEM)
	wait.Until(t, "the refusal logged", func() bool { return strings.Contains(h.logs.String(), "tls certificates not reloaded") })
	line := h.logLine(t, "tls certificates not reloaded")
	if !strings.Contains(line, files.cert) || !strings.Contains(line, files.key) || !strings.Contains(line, "private key does not match") {
		t.Errorf("refusal line lacks the files or the cause: %s", line)
	}
	// A half-written certificate: refused the same way.
	files.put(t, third.CertPEM[:len(third.CertPEM)/2], third.KeyPEM)
	wait.Until(t, "the second refusal logged", func() bool { return strings.Count(h.logs.String(), "tls certificates not reloaded") >= 2 })
	time.Sleep(200 * time.Millisecond) // several polls: no more lines for the same files
	if n := strings.Count(h.logs.String(), "tls certificates not reloaded"); n != 2 {
		t.Errorf("%d refusal lines, want one per broken state", n)
	}
	if got := h.handshakeSerial(t); got != "5002" {
		t.Fatalf("after broken pairs: serial %s, want the previous 5002", got)
	}
	if code := keepAliveGet(t, ka, br); code != 200 {
		t.Fatalf("keep-alive after the refusals: %d", code)
	}

	files.put(t, third.CertPEM, third.KeyPEM)
	wait.Until(t, "the fixed files served", func() bool { return h.handshakeSerial(t) == "5003" })
}

// TestTLSCertificateReloadOnSIGHUP: with polling far apart, the
// gateway's reload (what SIGHUP runs) reads the files again at once, also
// when the config file it reloads is rejected.
func TestTLSCertificateReloadOnSIGHUP(t *testing.T) {
	ca := tlstest.NewCA(t)
	names := []string{"localhost", "127.0.0.1"}
	files := newLiveFiles(t, ca.Issue(tlstest.Leaf{Names: names, Serial: 5101}))
	b := startRecBackend(t)
	h := startTLSGatewayWith(t, ca, configYAML(b.url, files.block()), func(g *Gateway) { g.tls.pollInterval = time.Hour })
	next := ca.Issue(tlstest.Leaf{Names: names, Serial: 5102})
	files.put(t, next.CertPEM, next.KeyPEM)
	if err := h.gw.Reload(h.gw.Loaded()); err != nil {
		t.Fatal(err)
	}
	if got := h.handshakeSerial(t); got != "5102" {
		t.Fatalf("after the reload: serial %s, want 5102", got)
	}
	// SIGHUP with a config file the gateway rejects: the certificates are
	// still read again.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("premier:\n  servers: [\"ftp://x\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	last := ca.Issue(tlstest.Leaf{Names: names, Serial: 5103})
	files.put(t, last.CertPEM, last.KeyPEM)
	if h.gw.ReloadLogged(bad, "SIGHUP") {
		t.Fatal("the bad config was accepted")
	}
	if got := h.handshakeSerial(t); got != "5103" {
		t.Fatalf("after a rejected SIGHUP reload: serial %s, want 5103", got)
	}
}

// logLine returns the first log line containing s.
func (h *gwHarness) logLine(t *testing.T, s string) string {
	t.Helper()
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	t.Fatalf("no log line with %q in:\n%s", s, h.logs.String())
	return ""
}
