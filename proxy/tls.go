package proxy

import (
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/premier-gateway/premier/proxy/edge"
	"github.com/premier-gateway/premier/proxy/metrics"
)

// TLSOptions are what the caller adds to the config's tls block when it
// opens the TLS listener.
type TLSOptions struct {
	// Sources are certificate sources asked before the certificate files
	// (ACME's, for its domains and its acme-tls/1 challenges).
	Sources []edge.CertSource
	// Protocols are extra ALPN protocols offered before http/1.1, in
	// order ("acme-tls/1"); a connection that negotiates one without a
	// hook is closed once its handshake is done, which is all
	// TLS-ALPN-01 needs.
	Protocols []string
	// Hooks serve the connections whose ALPN protocol they name, on the
	// goroutine that completed the handshake. With tls.http2 true, h2 is
	// offered first and its connections go to the gateway's HTTP/2 server
	// unless Hooks names another for "h2"; with tls.http2
	// false h2 is not offered, and clients speak HTTP/1.1.
	Hooks map[string]func(net.Conn)
	// Expiry tells when the certificate a source serves for a name
	// expires (ACME's), for the expiry figures of the tls.acme domains;
	// false while it has none.
	Expiry func(name string) (time.Time, bool)
}

// tlsState is what the gateway runs for its TLS listeners: the
// certificate files' reloaders (and the ticket keys' rotation and OCSP
// stapling), stopped by Close.
type tlsState struct {
	mu        sync.Mutex
	reloaders []*edge.Reloader
	stoppers  []interface{ Stop() } // ticket key rotation, OCSP stapling
	stores    []*edge.Store         // the TLS listeners' certificates (expiry figures)
	stats     *edge.Stats           // the TLS listeners' handshakes; nil before ListenTLS
	// sourced are the names a certificate source serves (tls.acme's
	// domains) and expiry tells when its certificate for one expires.
	sourced []string
	expiry  func(string) (time.Time, bool)
	// pollInterval is how often certificate files are polled (tests
	// shorten it); 0 is edge.DefaultPollInterval.
	pollInterval time.Duration

	// Set by ListenTLS before serving, read by every request after.
	redirect   bool   // tls.redirect_http: the plain listener redirects
	portSuffix []byte // ":PORT" of the TLS listener, empty for 443
	hsts       []byte // the Strict-Transport-Security value, nil for none
}

func (s *tlsState) addStopper(st interface{ Stop() }) {
	s.mu.Lock()
	s.stoppers = append(s.stoppers, st)
	s.mu.Unlock()
}

func (s *tlsState) addStore(st *edge.Store) {
	s.mu.Lock()
	s.stores = append(s.stores, st)
	s.mu.Unlock()
}

// handshakeStats is the one Stats every TLS listener counts into.
func (s *tlsState) handshakeStats() *edge.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stats == nil {
		s.stats = &edge.Stats{}
	}
	return s.stats
}

// figures are the TLS listeners' metrics as of now; nil without one.
func (s *tlsState) figures(now time.Time) *metrics.TLS {
	s.mu.Lock()
	stats, stores, sourced, expiry := s.stats, s.stores, s.sourced, s.expiry
	s.mu.Unlock()
	if stats == nil {
		return nil
	}
	f := &metrics.TLS{}
	for v, version := range edge.Versions {
		for a, alpn := range edge.ALPNs {
			f.Handshakes = append(f.Handshakes, metrics.TLSHandshakes{Version: version, ALPN: alpn, Count: stats.Handshakes(v, a)})
		}
	}
	for r, reason := range edge.FailReasons {
		f.Failures = append(f.Failures, metrics.TLSFailures{Reason: reason, Count: stats.Failures(r)})
	}
	seen := map[string]bool{}
	for _, st := range stores {
		for _, e := range st.Expiry() {
			if !seen[e.Name] {
				seen[e.Name] = true
				f.Expiry = append(f.Expiry, metrics.CertExpiry{Name: e.Name, Seconds: int64(e.NotAfter.Sub(now) / time.Second)})
			}
		}
	}
	for _, name := range sourced { // a source is asked first: its certificate is the one served
		if expiry == nil {
			break
		}
		if at, ok := expiry(name); ok {
			name = strings.ToLower(name)
			f.Expiry = slices.DeleteFunc(f.Expiry, func(e metrics.CertExpiry) bool { return e.Name == name })
			f.Expiry = append(f.Expiry, metrics.CertExpiry{Name: name, Seconds: int64(at.Sub(now) / time.Second)})
		}
	}
	slices.SortFunc(f.Expiry, func(a, b metrics.CertExpiry) int { return strings.Compare(a.Name, b.Name) })
	return f
}

func (s *tlsState) add(r *edge.Reloader) {
	s.mu.Lock()
	s.reloaders = append(s.reloaders, r)
	s.mu.Unlock()
}

// reloadCertificates reads every TLS listener's certificate files again;
// a broken pair is logged by its reloader and the old one keeps serving.
func (s *tlsState) reloadCertificates() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reloaders {
		_ = r.Reload()
	}
}

func (s *tlsState) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reloaders {
		r.Stop()
	}
	for _, st := range s.stoppers {
		st.Stop()
	}
	s.reloaders, s.stoppers = nil, nil
}

// ErrNoTLS is returned by ListenTLS for a config without a tls block.
var ErrNoTLS = errors.New("the config has no tls block")

// ListenTLS puts TLS termination over ln, a TCP listener, with the running
// config's tls block: its certificates (an unreadable pair is an error
// naming its files), versions and ALPN, handshakes bounded by
// limits.read_timeout and at most limits.max_connections in progress,
// and the gateway's per-address connection cap and watchdog deadlines
// beneath. Serve the result with Serve.
func (g *Gateway) ListenTLS(ln net.Listener, opts TLSOptions) (*edge.Listener, error) {
	c := g.Loaded().Config
	if c.TLS == nil {
		return nil, ErrNoTLS
	}
	cas, err := edge.LoadClientCAs(&c.TLS.ClientAuth)
	if err != nil {
		return nil, err
	}
	var store *edge.Store
	if len(c.TLS.Certificates) > 0 {
		s, err := edge.LoadStore(c.TLS.Certificates)
		if err != nil {
			return nil, err
		}
		store = s
		g.tls.addStore(s)
		g.tls.addStopper(edge.NewStapler(s, g.log, edge.StaplerOptions{})) // before the reloader: it follows the store's reloads
		g.tls.add(edge.NewReloader(s, g.log, g.tls.pollInterval))
	}
	protos, hooks := opts.Protocols, make(map[string]edge.Hook, len(opts.Hooks)+1)
	for proto, h := range opts.Hooks {
		hooks[proto] = func(c net.Conn) func() { return func() { h(c) } }
	}
	if c.TLS.HTTP2 {
		if opts.Hooks[edge.ProtoH2] == nil {
			hooks[edge.ProtoH2] = g.takeHTTP2
		}
		protos = append([]string{edge.ProtoH2}, protos...)
	} else {
		delete(hooks, edge.ProtoH2) // not offered, so never negotiated
	}
	g.tls.setTLSAnswers(c.TLS, ln.Addr())
	if opts.Expiry != nil && c.TLS.ACME != nil {
		g.tls.mu.Lock()
		g.tls.sourced, g.tls.expiry = c.TLS.ACME.Domains, opts.Expiry
		g.tls.mu.Unlock()
	}
	cfg := edge.NewConfig(c.TLS, store, edge.Options{Sources: opts.Sources, Protocols: protos, ClientCAs: cas})
	g.tls.addStopper(edge.NewTicketKeys(cfg, edge.TicketRotation))
	return edge.NewListener(g.tlsBase(ln), cfg, edge.ListenerOptions{
		HandshakeTimeout: seconds(c.Limits.ReadTimeout),
		MaxHandshakes:    c.Limits.MaxConnections,
		Hooks:            hooks,
		Stats:            g.tls.handshakeStats(),
	}), nil
}
