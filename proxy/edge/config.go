package edge

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/premier-gateway/premier/proxy/config"
)

// CertSource returns the certificate for a handshake, or nil with a nil
// error when it has none for that name (the next source is asked).
// An ACME source answers its own domains and its acme-tls/1 challenges.
type CertSource func(*tls.ClientHelloInfo) (*tls.Certificate, error)

// Options are what the gateway adds to the `tls` block.
type Options struct {
	// Sources are asked in order before the files' store; the first
	// certificate returned is served.
	Sources []CertSource
	// Protocols are the ALPN protocols offered besides http/1.1, in the
	// server's order of preference ("h2", "acme-tls/1").
	Protocols []string
	// ClientCAs verify client certificates when tls.client_auth.mode is
	// not none (LoadClientCAs reads them).
	ClientCAs *x509.CertPool
}

// LoadClientCAs reads tls.client_auth.ca_file; nil for mode none.
func LoadClientCAs(c *config.ClientAuth) (*x509.CertPool, error) {
	if c.Mode == config.ClientAuthNone || c.Mode == "" {
		return nil, nil
	}
	data, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("tls.client_auth.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("tls.client_auth.ca_file: %s holds no PEM certificate", c.CAFile)
	}
	return pool, nil
}

// clientAuth maps tls.client_auth.mode to the library's policy.
func clientAuth(mode string) tls.ClientAuthType {
	switch mode {
	case config.ClientAuthRequire:
		return tls.RequireAndVerifyClientCert
	case config.ClientAuthVerifyIfGiven:
		return tls.VerifyClientCertIfGiven
	}
	return tls.NoClientCert
}

// cipherSuites are the TLS 1.2 suites offered: ECDHE key exchange (forward
// secrecy) with AEAD ciphers only, ECDSA before RSA. TLS 1.3's suites are
// fixed by the library and all of this kind.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// MinVersion maps tls.min_version ("1.2", "1.3") to its tls constant.
func MinVersion(v string) uint16 {
	if v == "1.3" {
		return tls.VersionTLS13
	}
	return tls.VersionTLS12
}

// NewConfig builds the server's tls.Config from the tls block: versions,
// the cipher suites, ALPN (opts.Protocols, then http/1.1) and certificates
// from opts.Sources then store (which may be nil when a source serves
// every name). Session tickets are on: give the config rotating keys with
// NewTicketKeys before it serves.
func NewConfig(c *config.TLS, store *Store, opts Options) *tls.Config {
	sources := append([]CertSource(nil), opts.Sources...)
	get := func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		for _, src := range sources {
			if cert, err := src(hello); cert != nil || err != nil {
				return cert, err
			}
		}
		if store == nil {
			return nil, errNoCertificate
		}
		return store.GetCertificate(hello)
	}
	cfg := &tls.Config{
		MinVersion:     MinVersion(c.MinVersion),
		CipherSuites:   cipherSuites,
		NextProtos:     append(append([]string(nil), opts.Protocols...), ProtoHTTP11),
		GetCertificate: get,
	}
	if opts.ClientCAs != nil {
		cfg.ClientAuth = clientAuth(c.ClientAuth.Mode)
		cfg.ClientCAs = opts.ClientCAs
	}
	return cfg
}

// ALPN protocol names.
const (
	ProtoHTTP11 = "http/1.1"
	ProtoH2     = "h2"
)
