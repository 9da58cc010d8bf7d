package upstream

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/watchdog"
	"github.com/premier-gateway/premier/lb"
)

// tlsOKBackend is a fasthttp server over TLS on loopback answering "ok",
// with a self-signed certificate for 127.0.0.1; it returns the address and
// the roots that verify it.
func tlsOKBackend(t *testing.T) (string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "backend"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, BasicConstraintsValid: true, IsCA: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}
	go srv.Serve(tls.NewListener(ln, cfg)) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String(), roots
}

// newTLSBackend is newBackend for an https backend whose connections come
// from DialTLS with roots.
func newTLSBackend(t *testing.T, addr string, roots *x509.CertPool) *lb.Backend {
	t.Helper()
	w := watchdog.New(0)
	p := lb.NewPool(func(c *fasthttp.HostClient) {
		c.ReadTimeout, c.WriteTimeout = 5*time.Second, 5*time.Second
		c.ReadBufferSize, c.WriteBufferSize = ResponseReadBuffer, RequestWriteBuffer
		tc := c.TLSConfig
		c.DialTimeout = func(addr string, timeout time.Duration) (net.Conn, error) {
			return DialTLS(w, nil, addr, timeout, 5*time.Second, tc)
		}
	})
	t.Cleanup(func() { p.Close(); w.Close() })
	b, err := p.GetTLS(lb.Server{URL: "https://" + addr}, &lb.TLS{Config: &tls.Config{RootCAs: roots}, ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A backend that accepts the connection and never answers the handshake
// costs the dial's timeout, not the backend timeout.
func TestDialTLSHandshakeBoundedByDialTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	w := watchdog.New(0)
	defer w.Close()
	start := time.Now()
	_, err = DialTLS(w, nil, ln.Addr().String(), 200*time.Millisecond, time.Minute, &tls.Config{ServerName: "x"})
	if err == nil || !IsTimeout(err) || time.Since(start) > 10*time.Second {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
}

// Requests over an https backend reuse one kept-alive TLS connection.
func TestRoundTripTLSKeepAlive(t *testing.T) {
	addr, roots := tlsOKBackend(t)
	b := newTLSBackend(t, addr, roots)
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("https://" + addr + "/x")
	for range 20 {
		if err := RoundTrip(b.Client, req, resp, time.Now(), time.Now().Add(5*time.Second), &Whole{Max: 64 << 10}); err != nil || string(resp.Body()) != "ok" {
			t.Fatalf("%q %v", resp.Body(), err)
		}
	}
	if n := b.Client.ConnsCount(); n != 1 {
		t.Fatalf("%d connections for 20 sequential requests, want 1", n)
	}
}
