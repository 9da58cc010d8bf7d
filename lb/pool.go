package lb

import (
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
)

// ErrPoolClosed is returned by [Pool.Get] after [Pool.Close].
var ErrPoolClosed = errors.New("lb: pool closed")

// Pool is the registry of backends, keyed by canonical URL, that outlives
// config reloads: a backend asked for again with [Pool.Get] keeps its
// HostClient (and its idle connections), counters and health state.
// Methods lock a mutex and are meant for load and reload time, not for the
// request path; use the returned *Backend there.
type Pool struct {
	configure func(*fasthttp.HostClient)

	mu       sync.Mutex
	backends map[string]*Backend
	closed   bool
}

// NewPool returns an empty pool. configure, if not nil, is applied to each
// new HostClient after the pool's defaults (Addr, IsTLS, TLSConfig, no default
// User-Agent, no header or path normalising); it sets timeouts, MaxConns,
// MaxResponseBodySize, StreamResponseBody and so on. Client-side retries
// are forced off after configure runs: retries are the gateway's.
func NewPool(configure func(*fasthttp.HostClient)) *Pool {
	return &Pool{configure: configure, backends: make(map[string]*Backend)}
}

// Canonical returns the pool key of a server URL: scheme "://" host:port,
// with the scheme's default port filled in.
func Canonical(rawURL string) (string, error) {
	t, err := ParseURL(rawURL)
	if err != nil {
		return "", err
	}
	return t.canonical(), nil
}

func (t Target) canonical() string {
	if t.TLS {
		return "https://" + t.Addr
	}
	return "http://" + t.Addr
}

// key canonicalises addr when it parses and keeps it as is otherwise.
func key(addr string) string {
	if k, err := Canonical(addr); err == nil {
		return k
	}
	return strings.TrimSuffix(addr, "/")
}

// Get returns the backend for s.URL, creating it (and its HostClient) on
// first use. s.Weight is not part of the backend: weights belong to each
// rule's balancer. An https backend got here connects with the defaults
// (the system roots, the URL's host as server name); see [Pool.GetTLS].
func (p *Pool) Get(s Server) (*Backend, error) { return p.GetTLS(s, nil) }

// TLS is how a pool's https backends connect.
type TLS struct {
	// Config is the client configuration (roots, client certificate,
	// ServerName, InsecureSkipVerify). The pool gives each backend its own
	// copy with a session cache of its own, so reconnects resume their
	// sessions, and the URL's host as ServerName when it is empty.
	Config *tls.Config
	// ID tells apart backends of one URL that connect with different
	// settings: an https backend is keyed by its URL and ID, so two rules
	// that name one URL with different settings never share connections.
	ID string
	// Label, when not empty, follows the URL in the backend's name
	// ([Backend.URL]: statistics, metrics, logs), so such backends can be
	// told apart there too.
	Label string
}

// sessionCacheSize is how many TLS sessions each https backend keeps for
// resumption (one per server name and address it dials: a few suffice).
const sessionCacheSize = 64

// GetTLS is [Pool.Get] with the connection settings for an https URL (nil:
// the defaults). An http URL ignores t.
func (p *Pool) GetTLS(s Server, t *TLS) (*Backend, error) {
	tgt, err := ParseURL(s.URL)
	if err != nil {
		return nil, err
	}
	if !tgt.TLS {
		t = nil
	}
	name := tgt.canonical()
	k := name
	if t != nil {
		// The label is part of the key: one key, one name, so a reload
		// that moves settings between the top level and a rule never
		// leaves two backends of one name.
		if t.ID != "" || t.Label != "" {
			k += "#" + t.ID + t.Label
		}
		name += t.Label
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrPoolClosed
	}
	if b, ok := p.backends[k]; ok {
		return b, nil
	}
	b := &Backend{URL: name, Key: k, Target: tgt, Client: p.newClient(tgt, clientTLS(tgt, t))}
	p.backends[k] = b
	return b, nil
}

// clientTLS is the TLS configuration of a new https backend (nil for http).
func clientTLS(tgt Target, t *TLS) *tls.Config {
	if !tgt.TLS {
		return nil
	}
	var cfg *tls.Config
	if t != nil && t.Config != nil {
		cfg = t.Config.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(tgt.Addr)
	}
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(sessionCacheSize)
	return cfg
}

func (p *Pool) newClient(t Target, tc *tls.Config) *fasthttp.HostClient {
	c := &fasthttp.HostClient{
		Addr:                          t.Addr,
		IsTLS:                         t.TLS,
		TLSConfig:                     tc,
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
	}
	if p.configure != nil {
		p.configure(c)
	}
	c.MaxIdemponentCallAttempts = 1
	c.RetryIfErr = noRetry
	c.RetryIfErrUpstream = nil
	return c
}

// Retain keeps the backends whose URLs are in addrs (any form [ParseURL]
// accepts, or Backend.Key) and forgets the others: their health checks
// stop and their idle connections close. Requests still in flight on a
// forgotten backend finish normally.
func (p *Pool) Retain(addrs []string) {
	keep := make(map[string]bool, len(addrs))
	for _, a := range addrs {
		keep[key(a)] = true
	}
	p.mu.Lock()
	var gone []*Backend
	for k, b := range p.backends {
		if !keep[k] {
			delete(p.backends, k)
			gone = append(gone, b)
		}
	}
	p.mu.Unlock()
	retireAll(gone)
}

// Close forgets every backend, stops every health check and closes idle
// connections. Get fails afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	gone := make([]*Backend, 0, len(p.backends))
	for k, b := range p.backends {
		delete(p.backends, k)
		gone = append(gone, b)
	}
	p.mu.Unlock()
	retireAll(gone)
}

// Backends returns the pool's backends sorted by URL.
func (p *Pool) Backends() []*Backend {
	p.mu.Lock()
	out := make([]*Backend, 0, len(p.backends))
	for _, b := range p.backends {
		out = append(out, b)
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b *Backend) int { return strings.Compare(a.URL, b.URL) })
	return out
}

// retire stops the backend's health check and closes idle connections.
func (b *Backend) retire() {
	b.healthMu.Lock()
	b.retired = true
	b.healthMu.Unlock()
	b.stopHealth()
	b.closePipeline()
	b.Client.CloseIdleConnections()
}

// retireAll retires backends in parallel: each may wait for a probe.
func retireAll(bs []*Backend) {
	var wg sync.WaitGroup
	for _, b := range bs {
		wg.Go(b.retire)
	}
	wg.Wait()
}
