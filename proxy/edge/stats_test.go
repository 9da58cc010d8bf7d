package edge

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/internal/wait"
	"github.com/premier-gateway/premier/proxy/config"
)

// TestHandshakeFailureReasons: each failure lands under its reason: a
// client offering only TLS 1.2 to a 1.3-only listener (unsupported), a
// missing client certificate under require (client_certificate), a
// stalled client (timeout); completed handshakes by version and ALPN.
func TestHandshakeFailureReasons(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}})
	store, err := LoadStore([]config.Certificate{{CertFile: leaf.CertFile, KeyFile: leaf.KeyFile}})
	if err != nil {
		t.Fatal(err)
	}
	stats := &Stats{}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tc := &config.TLS{MinVersion: "1.3", ClientAuth: config.ClientAuth{Mode: config.ClientAuthRequire}}
	l := NewListener(inner, NewConfig(tc, store, Options{ClientCAs: ca.Pool}), ListenerOptions{Stats: stats, HandshakeTimeout: 100 * time.Millisecond})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	defer l.Close()
	addr := l.Addr().String()

	old := ca.ClientConfig("api.example.test")
	old.MaxVersion = tls.VersionTLS12
	if c, err := tls.Dial("tcp", addr, old); err == nil {
		_ = c.Close()
		t.Fatal("TLS 1.2 accepted by a 1.3-only listener")
	}
	anon, err := tls.Dial("tcp", addr, ca.ClientConfig("api.example.test"))
	if err == nil { // TLS 1.3: the server refuses after the client's flight
		_, _ = anon.Read(make([]byte, 1))
		_ = anon.Close()
	}
	stall, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stall.Close()
	withCert := ca.ClientConfig("api.example.test")
	client := ca.Issue(tlstest.Leaf{Names: []string{"alice"}, Client: true})
	withCert.Certificates = []tls.Certificate{client.TLS}
	withCert.NextProtos = []string{ProtoHTTP11}
	ok, err := tls.Dial("tcp", addr, withCert)
	if err != nil {
		t.Fatal(err)
	}
	_ = ok.Close()

	count := func(reason string) uint64 {
		for i, r := range FailReasons {
			if r == reason {
				return stats.Failures(i)
			}
		}
		return 0
	}
	wait.Until(t, "the failures counted", func() bool {
		return count(FailUnsupported) == 1 && count(FailClientCertificate) == 1 && count(FailTimeout) == 1
	})
	if n := stats.Handshakes(1, 0); n != 1 {
		t.Errorf("TLS 1.3 h1 handshakes: %d, want 1", n)
	}
}
