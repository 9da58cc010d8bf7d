package docscheck

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// FixtureFiles are the files the documented examples may name, relative to
// the directory premier -check runs in, each with what it holds: fields
// that read a file (the backend_tls certificates) are checked by reading
// it. All are written before the examples run; a new name is a deliberate
// addition here.
//
// "cert" is a throwaway self-signed certificate made on each run, which
// serves as a CA file and as a certificate; "key" is its private key.
var FixtureFiles = map[string]string{
	"certs/backend-ca.pem":     "cert",
	"certs/gateway-client.pem": "cert",
	"certs/gateway-client.key": "key",
}

// writeFixtureFiles writes FixtureFiles into dir.
func writeFixtureFiles(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "docs-check"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		BasicConstraintsValid: true, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	content := map[string][]byte{"cert": cert, "key": keyPEM}
	for name, kind := range FixtureFiles {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, content[kind], 0o600); err != nil {
			return err
		}
	}
	return nil
}
