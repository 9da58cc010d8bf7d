package config

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
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate and its key into dir.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestBackendTLSLoads(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir, "gw")
	src := `premier:
  servers: ["https://127.0.0.1:1"]
  backend_tls: {ca_file: ` + cert + `, cert_file: ` + cert + `, key_file: ` + key + `, server_name: api.internal}
  paths:
    - pattern: /a/*
      backend_tls: {server_name: other.internal}
`
	l, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if w := warnings(l); w != "" {
		t.Fatalf("warnings: %s", w)
	}
	top, id, err := l.Config.BackendTLS.ClientConfig()
	if err != nil || top.ServerName != "api.internal" || top.RootCAs == nil || len(top.Certificates) != 1 || top.InsecureSkipVerify {
		t.Fatalf("top-level client config: %+v %v", top, err)
	}
	rule, rid, err := l.Config.Paths[0].BackendTLS.ClientConfig()
	if err != nil || rule.ServerName != "other.internal" || rule.RootCAs != nil || len(rule.Certificates) != 0 || rid == id {
		t.Fatalf("rule's client config: %+v %q %v", rule, rid, err)
	}
	// The fingerprint follows the files' contents, so a renewed pair is
	// a new identity even under the same names.
	_, _ = selfSigned(t, dir, "gw")
	if _, id2, err := l.Config.BackendTLS.ClientConfig(); err != nil || id2 == id {
		t.Fatalf("fingerprint after renewal: %q (was %q) %v", id2, id, err)
	}
}

func TestBackendTLSProblems(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir, "gw")
	_, otherKey := selfSigned(t, dir, "other")
	notPEM := filepath.Join(dir, "notpem.txt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	src := `premier:
  servers: ["https://127.0.0.1:1"]
  backend_tls:
    ca_file: ` + missing + `
    cert_file: ` + cert + `
  paths:
    - pattern: /a/*
      backend_tls:
        ca_file: ` + notPEM + `
        cert_file: ` + cert + `
        key_file: ` + otherKey + `
        server_name: "api.internal:443"
    - pattern: /b/*
      backend_tls: {key_file: ` + key + `}
`
	_, err := Parse("b.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{
		"b.yaml:4:5: ca_file: open " + missing + ": no such file or directory",
		"b.yaml:5:5: cert_file: needs key_file too",
		"b.yaml:9:9: ca_file: " + notPEM + " holds no PEM certificate",
		"b.yaml:10:9: cert_file: " + cert + " with key_file " + otherKey + ": tls: private key does not match public key",
		`b.yaml:12:9: server_name: "api.internal:443" is not a host name`,
		"b.yaml:14:21: key_file: needs cert_file too",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestBackendTLSWithoutHTTPSServersWarns(t *testing.T) {
	src := `premier:
  servers: ["http://127.0.0.1:1"]
  backend_tls: {server_name: a.internal}
  paths:
    - pattern: /a/*
      servers: ["https://127.0.0.1:2"]
      backend_tls: {server_name: b.internal}
    - pattern: /b/*
      backend_tls: {server_name: c.internal}
`
	l, err := Parse("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(warnings(l), "\n")
	if len(got) != 2 || !strings.HasPrefix(got[0], "w.yaml:3:3: warning: backend_tls: no https:// server is reached with these settings, so they have no effect") ||
		!strings.HasPrefix(got[1], `w.yaml:9:7: warning: rule "/b/*": backend_tls: no https:// server`) {
		t.Fatalf("warnings: %q", got)
	}
	// A top-level block reaches the https servers of rules without their own.
	src = strings.Replace(src, `      backend_tls: {server_name: b.internal}
`, "", 1)
	if l, err = Parse("w.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if got := warnings(l); strings.Count(got, "warning") != 1 || !strings.Contains(got, `rule "/b/*"`) {
		t.Fatalf("warnings: %q", got)
	}
}

func TestBackendTLSInsecureWarns(t *testing.T) {
	src := `premier:
  servers: ["https://127.0.0.1:1"]
  backend_tls: {insecure_skip_verify: true}
  paths:
    - pattern: /a/*
      backend_tls:
        insecure_skip_verify: true
    - pattern: /b/*
      backend_tls: {insecure_skip_verify: false}
`
	l, err := Parse("i.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(warnings(l), "\n")
	if len(got) != 2 || !strings.HasPrefix(got[0], "i.yaml:3:17: warning: backend_tls.insecure_skip_verify: true: https backends' certificates are not verified") ||
		!strings.HasPrefix(got[1], `i.yaml:7:9: warning: rule "/a/*": backend_tls.insecure_skip_verify: true`) {
		t.Fatalf("warnings: %q", got)
	}
}
