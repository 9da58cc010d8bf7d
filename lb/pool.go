package lb

import (
	"errors"
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
// new HostClient after the pool's defaults (Addr, IsTLS, no default
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
// rule's balancer.
func (p *Pool) Get(s Server) (*Backend, error) {
	t, err := ParseURL(s.URL)
	if err != nil {
		return nil, err
	}
	k := t.canonical()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrPoolClosed
	}
	if b, ok := p.backends[k]; ok {
		return b, nil
	}
	b := &Backend{URL: k, Target: t, Client: p.newClient(t)}
	p.backends[k] = b
	return b, nil
}

func (p *Pool) newClient(t Target) *fasthttp.HostClient {
	c := &fasthttp.HostClient{
		Addr:                          t.Addr,
		IsTLS:                         t.TLS,
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
// accepts, or Backend.URL) and forgets the others: their health checks
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
