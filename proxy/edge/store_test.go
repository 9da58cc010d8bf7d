package edge

import (
	"crypto/tls"
	"testing"

	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/proxy/config"
)

// TestSNIPicksAmongThree: an exact name, a one-label wildcard and the
// default (the first certificate) for any other name, over real
// handshakes; a wildcard covers one label only.
func TestSNIPicksAmongThree(t *testing.T) {
	ca := tlstest.NewCA(t)
	def := ca.Issue(tlstest.Leaf{Names: []string{"default.test"}, Serial: 101})
	exact := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}, Serial: 102})
	wild := ca.Issue(tlstest.Leaf{Names: []string{"*.example.test"}, Serial: 103})
	l := serveTLS(t, []*tlstest.Issued{def, exact, wild}, Options{}, ListenerOptions{})

	for name, want := range map[string]string{
		"api.example.test":  "102",
		"API.Example.Test.": "102",
		"www.example.test":  "103",
		"default.test":      "101",
		"other.test":        "101",
		"a.b.example.test":  "101", // a wildcard is one label
		"example.test":      "101",
	} {
		cfg := ca.ClientConfig(name)
		cfg.InsecureSkipVerify = true // the default is served for names it does not cover
		if got := served(t, l, cfg); got != want {
			t.Errorf("SNI %q: served serial %s, want %s", name, got, want)
		}
	}
	// Verified for real where the names match.
	if got := served(t, l, ca.ClientConfig("www.example.test")); got != "103" {
		t.Errorf("verified wildcard: serial %s", got)
	}
	// No SNI at all (a client dialling an IP address): the default.
	cfg := ca.ClientConfig("")
	cfg.InsecureSkipVerify = true
	if got := served(t, l, cfg); got != "101" {
		t.Errorf("no SNI: serial %s", got)
	}
}

// TestECDSAAndRSASideBySide: two certificates for the same name; a client
// offering ECDSA gets the ECDSA one, a client that can only use RSA gets
// the RSA one, whichever comes first in the file.
func TestECDSAAndRSASideBySide(t *testing.T) {
	ca := tlstest.NewCA(t)
	ec := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}, Serial: 201, Key: tlstest.ECDSA})
	rsa := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}, Serial: 202, Key: tlstest.RSA})
	for _, order := range [][]*tlstest.Issued{{ec, rsa}, {rsa, ec}} {
		l := serveTLS(t, order, Options{}, ListenerOptions{})
		rsaOnly := ca.ClientConfig("api.example.test")
		rsaOnly.MaxVersion = tls.VersionTLS12
		rsaOnly.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
		if got := served(t, l, rsaOnly); got != "202" {
			t.Errorf("first %s: RSA-only client got serial %s", order[0].Cert.SerialNumber, got)
		}
		ecOnly := ca.ClientConfig("api.example.test")
		ecOnly.MaxVersion = tls.VersionTLS12
		ecOnly.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
		if got := served(t, l, ecOnly); got != "201" {
			t.Errorf("first %s: ECDSA-only client got serial %s", order[0].Cert.SerialNumber, got)
		}
		// A modern client supports both: it gets the first in file order.
		if got := served(t, l, ca.ClientConfig("api.example.test")); got != order[0].Cert.SerialNumber.String() {
			t.Errorf("first %s: TLS 1.3 client got serial %s", order[0].Cert.SerialNumber, got)
		}
	}
}

// TestVersionsAndSuites: min_version 1.3 refuses a TLS 1.2 client; TLS 1.2
// offers only ECDHE AEAD suites (a CBC-only client fails).
func TestVersionsAndSuites(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}, Key: tlstest.RSA})
	store, err := LoadStore([]config.Certificate{{CertFile: leaf.CertFile, KeyFile: leaf.KeyFile}})
	if err != nil {
		t.Fatal(err)
	}
	cfg13 := NewConfig(&config.TLS{MinVersion: "1.3"}, store, Options{})
	if cfg13.MinVersion != tls.VersionTLS13 {
		t.Fatalf("min version %x", cfg13.MinVersion)
	}
	l := serveTLS(t, []*tlstest.Issued{leaf}, Options{}, ListenerOptions{})
	cbc := ca.ClientConfig("api.example.test")
	cbc.MaxVersion = tls.VersionTLS12
	cbc.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}
	if c, err := tls.Dial("tcp", l.Addr().String(), cbc); err == nil {
		c.Close()
		t.Fatal("a CBC-only TLS 1.2 client completed a handshake")
	}
	c, err := tls.Dial("tcp", l.Addr().String(), ca.ClientConfig("api.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Errorf("version %x, want TLS 1.3", v)
	}
	c.Close()
}

// TestLoadStoreErrors names the files of a broken pair.
func TestLoadStoreErrors(t *testing.T) {
	ca := tlstest.NewCA(t)
	a := ca.Issue(tlstest.Leaf{Names: []string{"a.test"}})
	b := ca.Issue(tlstest.Leaf{Names: []string{"b.test"}})
	_, err := LoadStore([]config.Certificate{{CertFile: a.CertFile, KeyFile: b.KeyFile}})
	if err == nil || !contains(err.Error(), "tls.certificates[0]", a.CertFile, b.KeyFile) {
		t.Errorf("mismatched pair: %v", err)
	}
	_, err = LoadStore([]config.Certificate{{CertFile: a.CertFile, KeyFile: a.KeyFile}, {CertFile: "/nonexistent.pem", KeyFile: a.KeyFile}})
	if err == nil || !contains(err.Error(), "tls.certificates[1]", "/nonexistent.pem") {
		t.Errorf("missing file: %v", err)
	}
}
