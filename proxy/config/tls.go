package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TLS is the `tls` block under `premier:`: a second listener that
// terminates TLS in front of the same rules as the plain one.
type TLS struct {
	// Listen is the address of the TLS listener (`-tls-listen` overrides
	// it). Default ":8443".
	Listen string `yaml:"listen"`
	// Certificates are the served certificate and key pairs (PEM files),
	// chosen by the SNI name against each certificate's DNS names (exact
	// or one-label wildcard); the first is served when no name matches.
	// An ECDSA and an RSA certificate for the same names live side by
	// side: each client gets the one its handshake supports. Default: none
	// (then acme is required).
	Certificates []Certificate `yaml:"certificates"`
	// ACME obtains and renews certificates automatically. Default: off.
	ACME *ACME `yaml:"acme"`
	// MinVersion is the lowest TLS version accepted: "1.2" or "1.3".
	// Default "1.2".
	MinVersion string `yaml:"min_version"`
	// HTTP2 offers h2 by ALPN. Default true.
	HTTP2 bool `yaml:"http2"`
	// MaxConcurrentStreams is how many streams an HTTP/2 client may have
	// open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS),
	// over TLS and over h2c. Each runs a handler; up to four times as many
	// more wait, beyond that the connection ends. Default 100.
	MaxConcurrentStreams int `yaml:"max_concurrent_streams"`
	// RedirectHTTP makes the plain listener answer 308 to
	// https://HOST[:TLSPORT]/path?query (the port kept unless 443); ACME
	// challenges are still served there. Default false.
	RedirectHTTP bool `yaml:"redirect_http"`
	// HSTS adds Strict-Transport-Security to TLS answers. Default: off
	// (max_age 0).
	HSTS HSTS `yaml:"hsts"`
	// ClientAuth asks clients for certificates (mTLS). Default: mode none.
	ClientAuth ClientAuth `yaml:"client_auth"`
}

// Defaults fills the defaults into a zero TLS before it is decoded.
func (t *TLS) Defaults() {
	t.Listen = ":8443"
	t.MinVersion = "1.2"
	t.HTTP2 = true
	t.MaxConcurrentStreams = DefaultMaxConcurrentStreams
}

// DefaultMaxConcurrentStreams is tls.max_concurrent_streams' default, also
// h2c's without a tls block.
const DefaultMaxConcurrentStreams = 100

// maxStreamsLimit bounds tls.max_concurrent_streams: each stream may hold
// a handler, so one client connection may hold at most this many.
const maxStreamsLimit = 10000

// Certificate is one entry of tls.certificates.
type Certificate struct {
	// CertFile is the PEM certificate chain, leaf first. Required.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key (ECDSA, RSA or Ed25519). Required.
	KeyFile string `yaml:"key_file"`
}

// ACME is the tls.acme block: certificates from an ACME CA.
type ACME struct {
	// Email is the account's contact address. Default: none.
	Email string `yaml:"email"`
	// Domains are the names certificates are obtained for. Required, at
	// least one.
	Domains []string `yaml:"domains"`
	// Directory is the ACME server's directory URL.
	// Default "https://acme-v02.api.letsencrypt.org/directory".
	Directory string `yaml:"directory"`
	// CARoot is an extra root CA file (PEM) trusted for the ACME server.
	// Default: none (the system roots).
	CARoot string `yaml:"ca_root"`
	// Storage is the directory of account keys and certificates, which
	// several instances may share. Default "./acme".
	Storage string `yaml:"storage"`
}

// DefaultACMEDirectory is Let's Encrypt's production directory.
const DefaultACMEDirectory = "https://acme-v02.api.letsencrypt.org/directory"

// Defaults fills the defaults into a zero ACME before it is decoded.
func (a *ACME) Defaults() {
	a.Directory = DefaultACMEDirectory
	a.Storage = "./acme"
}

// HSTS is tls.hsts.
type HSTS struct {
	// MaxAge is the header's max-age in seconds; 0 sends no header.
	// Default 0.
	MaxAge int64 `yaml:"max_age"`
	// IncludeSubdomains adds includeSubDomains. Default false.
	IncludeSubdomains bool `yaml:"include_subdomains"`
}

// Client certificate modes of tls.client_auth.mode.
const (
	ClientAuthNone          = "none"
	ClientAuthVerifyIfGiven = "verify_if_given"
	ClientAuthRequire       = "require"
)

// ClientAuth is tls.client_auth.
type ClientAuth struct {
	// CAFile is the PEM bundle client certificates are verified against.
	// Required unless mode is none. Default: none.
	CAFile string `yaml:"ca_file"`
	// Mode is none, verify_if_given (a certificate is optional but
	// verified when sent) or require. Default none.
	Mode string `yaml:"mode"`
}

// Defaults fills the defaults into a zero ClientAuth before it is decoded.
func (c *ClientAuth) Defaults() { c.Mode = ClientAuthNone }

// Validate checks what concerns the whole premier block: the plain
// listener may be off only when the TLS one serves.
// The tls block's own completeness is checked here too, so the error
// points at its `tls:` key.
func (c *Config) Validate() error {
	if c.Listen == "" && c.TLS == nil {
		return errors.New("listen: \"\" turns the plain listener off, which needs a tls block to serve on (set listen, e.g. \":8000\", or add tls)")
	}
	if t := c.TLS; t != nil && len(t.Certificates) == 0 && t.ACME == nil {
		return errors.New("tls: tls needs certificates or acme (neither is set): add certificates: [{cert_file: ..., key_file: ...}] or an acme block")
	}
	return nil
}

// Validate checks the tls block.
func (t *TLS) Validate() error {
	var errs []error
	if err := validListen(t.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen: %w", err))
	}
	if t.MinVersion != "1.2" && t.MinVersion != "1.3" {
		errs = append(errs, fmt.Errorf("min_version: must be \"1.2\" or \"1.3\", got %q", t.MinVersion))
	}
	if t.MaxConcurrentStreams < 1 || t.MaxConcurrentStreams > maxStreamsLimit {
		errs = append(errs, fmt.Errorf("max_concurrent_streams: must be from 1 to %d, got %d", maxStreamsLimit, t.MaxConcurrentStreams))
	}
	return errors.Join(errs...)
}

// Validate checks one certificate pair.
func (c *Certificate) Validate() error {
	var errs []error
	if c.CertFile == "" {
		errs = append(errs, errors.New("cert_file: required (a PEM certificate chain)"))
	}
	if c.KeyFile == "" {
		errs = append(errs, errors.New("key_file: required (the certificate's PEM private key)"))
	}
	return errors.Join(errs...)
}

// Validate checks the acme block.
func (a *ACME) Validate() error {
	var errs []error
	if len(a.Domains) == 0 {
		errs = append(errs, errors.New("domains: required, at least one name to obtain a certificate for"))
	}
	for _, d := range a.Domains {
		if strings.HasPrefix(d, "*.") {
			errs = append(errs, fmt.Errorf("domains: %q is a wildcard, which only the DNS-01 challenge can obtain; list each name (HTTP-01 and TLS-ALPN-01 are used)", d))
			continue
		}
		if !validHostName(d) || net.ParseIP(strings.Trim(d, "[]")) != nil {
			errs = append(errs, fmt.Errorf("domains: %q is not a domain name (write it alone, like api.example.com)", d))
		}
	}
	if u, err := url.Parse(a.Directory); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("directory: must be an https:// URL of an ACME directory, got %q", a.Directory))
	}
	if a.Storage == "" {
		errs = append(errs, errors.New("storage: must name a directory (default ./acme)"))
	}
	if a.Email != "" && (!strings.Contains(a.Email, "@") || strings.ContainsAny(a.Email, " \t<>")) {
		errs = append(errs, fmt.Errorf("email: %q is not an email address", a.Email))
	}
	return errors.Join(errs...)
}

// Validate checks tls.hsts.
func (h *HSTS) Validate() error {
	if h.MaxAge < 0 {
		return fmt.Errorf("max_age: must not be negative (0: no header), got %d", h.MaxAge)
	}
	return nil
}

// Validate checks tls.client_auth.
func (c *ClientAuth) Validate() error {
	switch c.Mode {
	case ClientAuthNone:
		return nil
	case ClientAuthVerifyIfGiven, ClientAuthRequire:
		if c.CAFile == "" {
			return fmt.Errorf("ca_file: required with mode %s (the CA client certificates are verified against)", c.Mode)
		}
		return nil
	}
	return fmt.Errorf("mode: must be none, verify_if_given or require, got %q", c.Mode)
}

// validListen accepts a host:port address with a numeric port (the host
// may be empty for every interface).
func validListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not a host:port address (like \":8443\")", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port[0] == '+' {
		return fmt.Errorf("%q: the port must be a number from 0 to 65535", addr)
	}
	return nil
}
