package h2

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// testCert is a self-signed ECDSA certificate for 127.0.0.1 and
// localhost, and the pool that trusts it.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "h2 test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// testServer serves h over TLS (ALPN h2, http/1.1) on 127.0.0.1:0:
// h2 connections go to a Server, others get nothing (the tests speak h2).
type testServer struct {
	srv  *Server
	addr string
	pool *x509.CertPool
}

func serveTLS(t testing.TB, h fasthttp.RequestHandler, opts Options) *testServer {
	t.Helper()
	cert, pool := testCert(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h, opts)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.ServeConn(c, false)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		ctx, cancel := contextWithTimeout(5 * time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &testServer{srv: srv, addr: ln.Addr().String(), pool: pool}
}

// client is an HTTP client that speaks h2 to ts (net/http with
// ForceAttemptHTTP2, as the issue asks).
func (ts *testServer) client() *http.Client {
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ts.pool},
		ForceAttemptHTTP2: true,
	}
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

func (ts *testServer) url(path string) string { return "https://" + ts.addr + path }

// rawClient speaks HTTP/2 frame by frame, as a flooding client does.
type rawClient struct {
	c   *tls.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	hb  bytes.Buffer
}

func dialRaw(t testing.TB, addr string, pool *x509.CertPool) *rawClient {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.ConnectionState().NegotiatedProtocol != "h2" {
		t.Fatalf("ALPN: %q", c.ConnectionState().NegotiatedProtocol)
	}
	r := &rawClient{c: c, fr: http2.NewFramer(c, c)}
	r.enc = hpack.NewEncoder(&r.hb)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := r.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return r
}

// block is a GET's header block.
func (r *rawClient) block(path string) []byte {
	return r.fields(":method", "GET", ":scheme", "https", ":authority", "localhost", ":path", path)
}

// fields is the header block of the given name, value pairs.
func (r *rawClient) fields(kv ...string) []byte {
	r.hb.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		_ = r.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return bytes.Clone(r.hb.Bytes())
}

// goAway reads frames until the server's GOAWAY and then until the
// connection ends, within d. It returns the GOAWAY's code and whether
// the connection ended.
func (r *rawClient) goAway(d time.Duration) (code http2.ErrCode, sawGoAway, closed bool) {
	_ = r.c.SetReadDeadline(time.Now().Add(d))
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			var ne interface{ Timeout() bool }
			return code, sawGoAway, !(errors.As(err, &ne) && ne.Timeout())
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			code, sawGoAway = ga.ErrCode, true
		}
	}
}
