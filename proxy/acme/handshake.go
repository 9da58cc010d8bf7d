package acme

import (
	"crypto/tls"
	"errors"
	"time"
)

// ALPNProto is the protocol of the TLS-ALPN-01 challenge (RFC 8737). The
// TLS listener offers it next to h2 and http/1.1; a handshake that asks for
// it alone is the CA validating, and GetCertificate answers it with the
// challenge certificate.
const ALPNProto = "acme-tls/1"

// errNotStarted answers handshakes that arrive before Start.
var errNotStarted = errors.New("acme: certificates are not managed yet")

// Manages reports whether name (an SNI server name) is one of the domains
// this manager obtains certificates for.
func (m *Manager) Manages(name string) bool {
	_, ok := m.domains[normalise(name)]
	return ok
}

// IsChallenge reports whether a ClientHello is a TLS-ALPN-01 validation:
// a server name and "acme-tls/1" as the only protocol.
func IsChallenge(hello *tls.ClientHelloInfo) bool {
	return hello.ServerName != "" && len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == ALPNProto
}

// GetCertificate is the certificate source for the TLS listener, with the
// signature of tls.Config.GetCertificate. It answers a TLS-ALPN-01
// validation for one of its domains with the challenge certificate, and a
// handshake for one of its domains with the domain's certificate (an error
// until it is obtained). For any other name it returns nil, nil: not its
// name, so the caller's other certificates decide.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if !m.Manages(hello.ServerName) {
		if IsChallenge(hello) {
			return nil, errors.New("acme: TLS-ALPN-01 validation for a name that is not in tls.acme.domains")
		}
		return nil, nil
	}
	cfg := m.cfg.Load()
	if cfg == nil {
		return nil, errNotStarted
	}
	return cfg.GetCertificate(hello)
}

// Expiry returns when the certificate served for name expires (the latest
// one, while a renewal overlaps the old), and false for a name it does not
// manage or has no certificate for yet: what the certificate expiry gauge
// reports for ACME names.
func (m *Manager) Expiry(name string) (time.Time, bool) {
	m.mu.Lock()
	cache := m.cache
	m.mu.Unlock()
	if cache == nil || !m.Manages(name) {
		return time.Time{}, false
	}
	var latest time.Time
	for _, c := range cache.AllMatchingCertificates(normalise(name)) {
		if c.Leaf != nil && c.Leaf.NotAfter.After(latest) {
			latest = c.Leaf.NotAfter
		}
	}
	return latest, !latest.IsZero()
}
