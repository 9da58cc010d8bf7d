package edge

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/proxy/config"
)

// serveTLS starts a Listener on 127.0.0.1:0 with the certificates and
// hooks given, answering each HTTP/1.1 connection by closing it after the
// handshake (the tests look at the handshake only).
func serveTLS(t *testing.T, certs []*tlstest.Issued, opts Options, lo ListenerOptions) *Listener {
	t.Helper()
	var cc []config.Certificate
	for _, c := range certs {
		cc = append(cc, config.Certificate{CertFile: c.CertFile, KeyFile: c.KeyFile})
	}
	store, err := LoadStore(cc)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(inner, NewConfig(&config.TLS{MinVersion: "1.2"}, store, opts), lo)
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
	t.Cleanup(func() { _ = l.Close(); <-done })
	return l
}

// served dials l with cfg and returns the serial of the certificate the
// server presented.
func served(t *testing.T, l *Listener, cfg *tls.Config) string {
	t.Helper()
	c, err := tls.Dial("tcp", l.Addr().String(), cfg)
	if err != nil {
		t.Fatalf("handshake for %q: %v", cfg.ServerName, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}
