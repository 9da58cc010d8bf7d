package proxy

import (
	"crypto/tls"
	"testing"
	"time"
)

// TestTLSSessionResumption: through the gateway's TLS listener a client
// resumes its session on a new connection (the ticket keys the gateway
// set), on TLS 1.2 and 1.3.
func TestTLSSessionResumption(t *testing.T) {
	ca, leaf := localLeaf(t)
	b := startRecBackend(t)
	h := startTLSGateway(t, ca, configYAML(b.url, tlsBlock(leaf, "")))
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := ca.ClientConfig("localhost")
		cfg.MaxVersion = v
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		var resumed []bool
		for range 2 {
			c, err := tls.Dial("tcp", h.tlsAddr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			// A request and its answer: the TLS 1.3 ticket, sent after
			// the handshake, is read with them.
			if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Read(make([]byte, 4096))
			resumed = append(resumed, c.ConnectionState().DidResume)
			_ = c.Close()
		}
		if resumed[0] || !resumed[1] {
			t.Errorf("version %x: resumed %v, want [false true]", v, resumed)
		}
	}
}
