package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// testCA is a throwaway certificate authority for the backend TLS tests,
// its certificate written as a PEM file in the test's directory.
type testCA struct {
	t      testing.TB
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	file   string // the CA certificate, PEM
	pool   *x509.CertPool
	serial atomic.Int64
}

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	ca := &testCA{t: t, key: newTestKey(t)}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ca.key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	if ca.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	ca.serial.Store(1)
	ca.pool = x509.NewCertPool()
	ca.pool.AddCert(ca.cert)
	ca.file = writePEM(t, name+"-ca.pem", "CERTIFICATE", der)
	return ca
}

func newTestKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// writePEM writes one PEM block into the test's directory and returns its path.
func writePEM(t testing.TB, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// leaf is an issued certificate: in memory and as cert and key files.
type leaf struct {
	cert     tls.Certificate
	certFile string
	keyFile  string
}

// issue makes a certificate for cn; hosts are its DNS names and IP
// addresses; client makes it a client certificate (else a server one).
func (ca *testCA) issue(cn string, client bool, hosts ...string) leaf {
	t := ca.t
	t.Helper()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	l := leaf{certFile: writePEM(t, cn+".pem", "CERTIFICATE", der), keyFile: writePEM(t, cn+".key", "EC PRIVATE KEY", keyDER)}
	if l.cert, err = tls.LoadX509KeyPair(l.certFile, l.keyFile); err != nil {
		t.Fatal(err)
	}
	return l
}

// tlsBackend is a real HTTPS (and WSS) server with counters of what it saw.
type tlsBackend struct {
	url      string // https://127.0.0.1:PORT
	accepted atomic.Int32
	// sni is the server name of the last handshake.
	sni atomic.Value
}

// startTLSBackend serves h over TLS with cert; clientCAs, when not nil,
// verify client certificates as auth says.
func startTLSBackend(t testing.TB, cert leaf, auth tls.ClientAuthType, clientCAs *x509.CertPool, h fasthttp.RequestHandler) *tlsBackend {
	t.Helper()
	b := &tlsBackend{}
	b.sni.Store("")
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert.cert},
		GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
			b.sni.Store(hi.ServerName)
			return nil, nil
		},
	}
	cfg.ClientAuth, cfg.ClientCAs = auth, clientCAs
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Refused handshakes are what some tests are about: not logged.
	srv := &fasthttp.Server{Handler: h, CloseOnShutdown: true, Logger: quietLogger{discardLogger()}}
	go srv.Serve(tls.NewListener(countingListener{ln, &b.accepted}, cfg)) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Shutdown(); _ = ln.Close() })
	b.url = "https://" + ln.Addr().String()
	return b
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// tlsInfo answers what the backend knows of the request's TLS connection:
// the client certificate's subject and whether the session was resumed.
func tlsInfo(ctx *fasthttp.RequestCtx) {
	st := ctx.TLSConnectionState()
	if st == nil {
		ctx.SetBodyString("plain")
		return
	}
	cn := "none"
	if len(st.PeerCertificates) > 0 {
		cn = st.PeerCertificates[0].Subject.CommonName
	}
	resumed := "no"
	if st.DidResume {
		resumed = "yes"
	}
	ctx.SetBodyString("client=" + cn + " resumed=" + resumed)
}
