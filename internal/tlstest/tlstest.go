package tlstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
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
)

// KeyType is a certificate's key algorithm.
type KeyType uint8

const (
	// ECDSA is a P-256 key (the default).
	ECDSA KeyType = iota
	// RSA is a 2048-bit RSA key.
	RSA
)

// CA is a throwaway certificate authority.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	// CertFile is CertPEM written into the test's temporary directory.
	CertFile string
	// Pool trusts the CA alone, for clients and for client_auth.
	Pool *x509.CertPool
	t    testing.TB
	dir  string
}

// serials numbers certificates made without an explicit serial.
var serials atomic.Int64

// NewCA makes a CA (ECDSA P-256) valid from an hour ago for a day.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key := newKey(t, ECDSA)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1_000_000 + serials.Add(1)),
		Subject:               pkix.Name{CommonName: "premier test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &CA{Cert: cert, Key: key, CertPEM: pemBlock("CERTIFICATE", der), Pool: x509.NewCertPool(), t: t, dir: t.TempDir()}
	ca.Pool.AddCert(cert)
	ca.CertFile = ca.write("ca.pem", ca.CertPEM)
	return ca
}

// Leaf describes a certificate to issue.
type Leaf struct {
	// Names are the DNS names and IP addresses (SANs); the first is the
	// subject's common name too.
	Names []string
	// Serial is the serial number; 0 picks a fresh one.
	Serial int64
	// Key is the key algorithm. Default ECDSA.
	Key KeyType
	// Client makes a client certificate (ExtKeyUsageClientAuth) instead of
	// a server one.
	Client bool
	// NotAfter is the end of validity. Default a day from now.
	NotAfter time.Time
	// OCSPServer is the responder URL put in the certificate (AIA).
	OCSPServer string
}

// Issued is an issued certificate, in memory and on disk.
type Issued struct {
	Cert     *x509.Certificate
	TLS      tls.Certificate
	CertPEM  []byte // the leaf alone
	KeyPEM   []byte
	CertFile string
	KeyFile  string
}

// Issue signs a leaf certificate and writes its PEM certificate and key to
// files named after its serial in the CA's temporary directory.
func (ca *CA) Issue(l Leaf) *Issued {
	t := ca.t
	t.Helper()
	serial := l.Serial
	if serial == 0 {
		serial = serials.Add(1)
	}
	notAfter := l.NotAfter
	if notAfter.IsZero() {
		notAfter = time.Now().Add(24 * time.Hour)
	}
	key := newKey(t, l.Key)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if l.Key == RSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	if l.OCSPServer != "" {
		tmpl.OCSPServer = []string{l.OCSPServer}
	}
	if l.Client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for i, n := range l.Names {
		if i == 0 {
			tmpl.Subject.CommonName = n
		}
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	is := &Issued{Cert: cert, CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("PRIVATE KEY", keyDER)}
	is.TLS, err = tls.X509KeyPair(is.CertPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	name := big.NewInt(serial).String()
	is.CertFile = ca.write("cert-"+name+".pem", is.CertPEM)
	is.KeyFile = ca.write("key-"+name+".pem", is.KeyPEM)
	return is
}

// ClientConfig is a client configuration trusting the CA alone and asking
// for serverName.
func (ca *CA) ClientConfig(serverName string) *tls.Config {
	return &tls.Config{RootCAs: ca.Pool, ServerName: serverName, MinVersion: tls.VersionTLS12}
}

func (ca *CA) write(name string, data []byte) string {
	p := filepath.Join(ca.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		ca.t.Fatal(err)
	}
	return p
}

func newKey(t testing.TB, k KeyType) crypto.Signer {
	var (
		key crypto.Signer
		err error
	)
	if k == RSA {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
