package config

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/premier-gateway/premier/lb"
)

// BackendTLS is the `backend_tls` block, top level and per rule: how the
// gateway connects to `https://` servers. Without it they are verified
// against the system roots under the URL's host name. It has no effect on
// `http://` servers.
type BackendTLS struct {
	// CAFile is a PEM file of the CA certificates that verify the backends,
	// in place of the system roots. Default "": the system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM certificate (chain) and its private
	// key that the gateway presents to backends that ask for a client
	// certificate (mTLS). Both or neither. Default "": none.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name sent in SNI and verified in the backend's
	// certificate, in place of the URL's host. Default "": the URL's host.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts any backend certificate: the connection is
	// encrypted but not authenticated (-check warns). Default false.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Validate checks the block and reads its files, so a missing or broken
// file is a problem at its key when the configuration loads (and a reload
// that meets one keeps the running configuration).
func (b *BackendTLS) Validate() error {
	_, _, err := b.ClientConfig()
	return err
}

// ClientConfig reads the block's files and returns the TLS client
// configuration it describes, and a fingerprint of everything that went
// into it (the settings and the files' contents), which tells apart
// backends of one URL that must not share connections. Errors name the
// key and the file.
func (b *BackendTLS) ClientConfig() (*tls.Config, string, error) {
	var errs []error
	cfg := &tls.Config{ServerName: b.ServerName, InsecureSkipVerify: b.InsecureSkipVerify}
	h := sha256.New()
	fmt.Fprintf(h, "server_name=%q insecure=%t\n", b.ServerName, b.InsecureSkipVerify)
	if b.ServerName != "" && !validHostName(b.ServerName) {
		errs = append(errs, fmt.Errorf("server_name: %q is not a host name (write the name alone: no scheme, port or path)", b.ServerName))
	}
	if b.CAFile != "" {
		pem, err := os.ReadFile(b.CAFile)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("ca_file: %w", err))
		default:
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				errs = append(errs, fmt.Errorf("ca_file: %s holds no PEM certificate", b.CAFile))
			}
			cfg.RootCAs = pool
			fmt.Fprintf(h, "ca %d\n", len(pem))
			h.Write(pem)
		}
	}
	switch {
	case b.CertFile == "" && b.KeyFile == "":
	// Each is reported at the key that is written, the other has no line.
	case b.CertFile == "":
		errs = append(errs, errors.New("key_file: needs cert_file too (the client certificate it is the key of)"))
	case b.KeyFile == "":
		errs = append(errs, errors.New("cert_file: needs key_file too (the client certificate's private key)"))
	default:
		certPEM, cerr := os.ReadFile(b.CertFile)
		keyPEM, kerr := os.ReadFile(b.KeyFile)
		if cerr != nil {
			errs = append(errs, fmt.Errorf("cert_file: %w", cerr))
		}
		if kerr != nil {
			errs = append(errs, fmt.Errorf("key_file: %w", kerr))
		}
		if cerr != nil || kerr != nil {
			break
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			errs = append(errs, fmt.Errorf("cert_file: %s with key_file %s: %w", b.CertFile, b.KeyFile, err))
			break
		}
		cfg.Certificates = []tls.Certificate{pair}
		fmt.Fprintf(h, "cert %d key %d\n", len(certPEM), len(keyPEM))
		h.Write(certPEM)
		h.Write(keyPEM)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	return cfg, hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// checkBackendTLS warns wherever backend_tls.insecure_skip_verify is on:
// the backends' certificates are not checked, so anyone on the path to
// them can read and change the traffic. It also warns about a block that
// reaches no https:// server and so has no effect: servers written as
// http://, or a top-level block every rule with https servers replaces.
func (l *Loaded) checkBackendTLS(d *decoder) {
	c := l.Config
	warn := func(b *BackendTLS, at pos, where string, reaches bool) {
		if b == nil {
			return
		}
		if b.InsecureSkipVerify {
			l.warnf(d.keys[b]["insecure_skip_verify"], "%sbackend_tls.insecure_skip_verify: true: https backends' certificates are not verified, so anyone on the network path to them can read and alter the traffic; give the backends' CA in ca_file instead",
				where)
		}
		if !reaches {
			l.warnf(at, "%sbackend_tls: no https:// server is reached with these settings, so they have no effect", where)
		}
	}
	anyTLS := func(servers []lb.Server) bool {
		for _, s := range servers {
			if t, err := lb.ParseURL(s.URL); err == nil && t.TLS {
				return true
			}
		}
		return false
	}
	serversOf := func(p *PathRule) []lb.Server {
		if len(p.Servers) > 0 {
			return p.Servers
		}
		return c.Servers
	}
	// Requests no rule matches go to the top-level servers.
	topReaches := anyTLS(c.Servers)
	for i := range c.Paths {
		if p := &c.Paths[i]; p.BackendTLS == nil {
			topReaches = topReaches || anyTLS(serversOf(p))
		}
	}
	warn(c.BackendTLS, d.keys[c]["backend_tls"], "", topReaches)
	for i := range c.Paths {
		p := &c.Paths[i]
		warn(p.BackendTLS, d.keys[p]["backend_tls"], fmt.Sprintf("rule %q: ", p.Pattern), anyTLS(serversOf(p)))
	}
}
