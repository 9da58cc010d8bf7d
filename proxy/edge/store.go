package edge

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/premier-gateway/premier/proxy/config"
)

// Store holds the served certificates and chooses one per handshake by
// the client's SNI name. Its set is swapped whole (a reload), so a
// handshake reads one consistent set without a lock.
type Store struct {
	set   atomic.Pointer[certSet]
	certs []config.Certificate // the files the set is loaded from
	// onSwap is told of every newly loaded set (the stapler, the expiry
	// figures); set before the store is shared.
	onSwap []func([]*Entry)
}

// certSet is one loaded generation of certificates.
type certSet struct {
	// exact maps a lower-case DNS name to the certificates naming it, in
	// file order; wild maps the parent of a "*.parent" name the same way.
	exact map[string][]*Entry
	wild  map[string][]*Entry
	// all is every certificate in file order: the first is the default.
	all []*Entry
}

// Entry is one served certificate. Its current version is swapped whole
// when an OCSP staple arrives or expires, so a handshake never sees a
// certificate being written.
type Entry struct {
	cur atomic.Pointer[tls.Certificate]
	// Leaf is the parsed leaf certificate, Issuer the next one in the
	// chain (nil when the file holds the leaf alone).
	Leaf, Issuer *x509.Certificate
	// Files are the pair the certificate was read from.
	Files config.Certificate
}

// Certificate is the certificate served now.
func (e *Entry) Certificate() *tls.Certificate { return e.cur.Load() }

// setStaple serves the certificate with staple (nil: none) from now on.
func (e *Entry) setStaple(staple []byte) {
	c := *e.cur.Load()
	c.OCSPStaple = staple
	e.cur.Store(&c)
}

// LoadStore reads every certificate and key pair; an unreadable or
// mismatched pair is an error naming its files.
func LoadStore(certs []config.Certificate) (*Store, error) {
	set, err := loadSet(certs)
	if err != nil {
		return nil, err
	}
	s := &Store{certs: append([]config.Certificate(nil), certs...)}
	s.set.Store(set)
	return s, nil
}

// Reload reads the store's files again and serves them from the next
// handshake on; on any error (an unreadable, half-written or mismatched
// pair) nothing changes and the error names the files. Handshakes done
// and connections open are not touched.
func (s *Store) Reload() error {
	set, err := loadSet(s.certs)
	if err != nil {
		return err
	}
	s.set.Store(set)
	for _, f := range s.onSwap {
		f(set.all)
	}
	return nil
}

// Entries returns the certificates served now, in file order.
func (s *Store) Entries() []*Entry {
	if set := s.set.Load(); set != nil {
		return set.all
	}
	return nil
}

// OnSwap registers f to be told of the entries of every set loaded from
// now on (and calls it with the current ones). Call it before the store
// serves handshakes.
func (s *Store) OnSwap(f func([]*Entry)) {
	s.onSwap = append(s.onSwap, f)
	f(s.Entries())
}

func loadSet(certs []config.Certificate) (*certSet, error) {
	set := &certSet{exact: map[string][]*Entry{}, wild: map[string][]*Entry{}}
	var errs []error
	for i, c := range certs {
		pair, err := LoadPair(c.CertFile, c.KeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("tls.certificates[%d]: %w", i, err))
			continue
		}
		e := &Entry{Leaf: pair.Leaf, Files: c}
		if len(pair.Certificate) > 1 {
			e.Issuer, _ = x509.ParseCertificate(pair.Certificate[1])
		}
		e.cur.Store(pair)
		set.add(e)
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
func (s *certSet) add(c *Entry) {
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
	return set.all[0].Certificate(), nil // the client supports none: the handshake says so
}

// pick returns the first of cands hello supports, or nil.
func pick(hello *tls.ClientHelloInfo, cands []*Entry) *tls.Certificate {
	for _, e := range cands {
		if c := e.Certificate(); hello.SupportsCertificate(c) == nil {
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

// NameExpiry is when the certificate served for a name expires.
type NameExpiry struct {
	Name     string
	NotAfter time.Time
}

// Expiry lists every DNS name the served certificates carry (the common
// name of one without any), each with the soonest end of validity among
// the certificates naming it, sorted by name.
func (s *Store) Expiry() []NameExpiry {
	soonest := map[string]time.Time{}
	for _, e := range s.Entries() {
		names := e.Leaf.DNSNames
		if len(names) == 0 && e.Leaf.Subject.CommonName != "" {
			names = []string{e.Leaf.Subject.CommonName}
		}
		for _, n := range names {
			n = strings.ToLower(n)
			if t, ok := soonest[n]; !ok || e.Leaf.NotAfter.Before(t) {
				soonest[n] = e.Leaf.NotAfter
			}
		}
	}
	out := make([]NameExpiry, 0, len(soonest))
	for n, t := range soonest {
		out = append(out, NameExpiry{Name: n, NotAfter: t})
	}
	slices.SortFunc(out, func(a, b NameExpiry) int { return strings.Compare(a.Name, b.Name) })
	return out
}
