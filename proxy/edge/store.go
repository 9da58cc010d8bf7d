package edge

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/premier-gateway/premier/proxy/config"
)

// Store holds the served certificates and chooses one per handshake by
// the client's SNI name. Its set is swapped whole, so a handshake reads
// one consistent set without a lock.
type Store struct {
	set atomic.Pointer[certSet]
}

// certSet is one loaded generation of certificates.
type certSet struct {
	// exact maps a lower-case DNS name to the certificates naming it, in
	// file order; wild maps the parent of a "*.parent" name the same way.
	exact map[string][]*tls.Certificate
	wild  map[string][]*tls.Certificate
	// all is every certificate in file order: the first is the default.
	all []*tls.Certificate
}

// LoadStore reads every certificate and key pair; an unreadable or
// mismatched pair is an error naming its files.
func LoadStore(certs []config.Certificate) (*Store, error) {
	set, err := loadSet(certs)
	if err != nil {
		return nil, err
	}
	s := &Store{}
	s.set.Store(set)
	return s, nil
}

func loadSet(certs []config.Certificate) (*certSet, error) {
	set := &certSet{exact: map[string][]*tls.Certificate{}, wild: map[string][]*tls.Certificate{}}
	var errs []error
	for i, c := range certs {
		pair, err := LoadPair(c.CertFile, c.KeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("tls.certificates[%d]: %w", i, err))
			continue
		}
		set.add(pair)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

// LoadPair reads one PEM certificate chain and its key, with the parsed
// leaf filled in (the store matches names and client capabilities on it).
func LoadPair(certFile, keyFile string) (*tls.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load %s with %s: %w", certFile, keyFile, err)
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("cannot parse %s: %w", certFile, err)
		}
	}
	return &pair, nil
}

// add files c under each of its DNS names (the common name only when it
// has none, as older certificates do).
func (s *certSet) add(c *tls.Certificate) {
	s.all = append(s.all, c)
	names := c.Leaf.DNSNames
	if len(names) == 0 && c.Leaf.Subject.CommonName != "" {
		names = []string{c.Leaf.Subject.CommonName}
	}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if parent, ok := strings.CutPrefix(n, "*."); ok {
			s.wild[parent] = append(s.wild[parent], c)
		} else {
			s.exact[n] = append(s.exact[n], c)
		}
	}
}

// errNoCertificate fails a handshake when the store is empty.
var errNoCertificate = errors.New("edge: no certificate to serve")

// GetCertificate is the tls.Config hook: the certificates naming the SNI
// name exactly, then those whose one-label wildcard covers it, then every
// certificate from the default on; of the first group with any, the first
// the client can use (its signature schemes and cipher suites: an ECDSA
// certificate for a client that offers ECDSA, else the RSA one beside it).
func (s *Store) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	set := s.set.Load()
	if set == nil || len(set.all) == 0 {
		return nil, errNoCertificate
	}
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if name != "" {
		if c := pick(hello, set.exact[name]); c != nil {
			return c, nil
		}
		if _, parent, ok := strings.Cut(name, "."); ok {
			if c := pick(hello, set.wild[parent]); c != nil {
				return c, nil
			}
		}
	}
	if c := pick(hello, set.all); c != nil {
		return c, nil
	}
	return set.all[0], nil // the client supports none: the handshake says so
}

// pick returns the first of cands hello supports, or nil.
func pick(hello *tls.ClientHelloInfo, cands []*tls.Certificate) *tls.Certificate {
	for _, c := range cands {
		if hello.SupportsCertificate(c) == nil {
			return c
		}
	}
	return nil
}

// Len reports how many certificates the store serves.
func (s *Store) Len() int {
	if set := s.set.Load(); set != nil {
		return len(set.all)
	}
	return 0
}
