package acme

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
)

// DefaultDirectory is Let's Encrypt's production directory, the CA used
// when Options.Directory is empty.
const DefaultDirectory = "https://acme-v02.api.letsencrypt.org/directory"

// DefaultStorage is the storage directory used when Options.Storage is empty.
const DefaultStorage = "./acme"

// Options configure a Manager: the tls.acme block plus where the gateway's
// listeners are bound.
type Options struct {
	// Email is the ACME account's contact address (may be empty).
	Email string
	// Domains are the names a certificate is obtained for, one certificate
	// per name. Wildcards need DNS-01 and are refused.
	Domains []string
	// Directory is the ACME directory URL; DefaultDirectory when empty.
	Directory string
	// CARoot is a PEM file of extra root CAs trusted for the ACME server
	// (a private CA), on top of the system roots. Optional.
	CARoot string
	// Storage is the directory of account keys, certificates and locks;
	// DefaultStorage when empty. Instances sharing it share certificates
	// and take turns ordering them.
	Storage string

	// HTTPChallengeAddr is the bound address of the listener that answers
	// HTTP-01 (the plain listener, which calls ServeHTTPChallenge). Empty:
	// HTTP-01 is not used.
	HTTPChallengeAddr string
	// TLSALPNChallengeAddr is the bound address of the TLS listener that
	// offers ALPNProto and asks GetCertificate. Empty: TLS-ALPN-01 is not
	// used. At least one of the two is required.
	TLSALPNChallengeAddr string

	// Logger receives certmagic's lines (component=acme); slog.Default()
	// when nil.
	Logger *slog.Logger
}

// Manager obtains, stores and renews the certificates of Options.Domains
// and serves them and the challenge answers. Build it with New, call Start
// once the listeners are bound and Stop when shutting down.
type Manager struct {
	opts    Options
	domains map[string]struct{} // normalised names, for Manages
	log     *slog.Logger
	roots   *x509.CertPool // nil: the system roots

	mu      sync.Mutex
	started bool
	stopped bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	cache   *certmagic.Cache

	cfg    atomic.Pointer[certmagic.Config] // set by Start
	issuer atomic.Pointer[certmagic.ACMEIssuer]

	ready     chan struct{} // closed once every domain has a certificate
	readyOnce sync.Once

	// beforeManage, when set (by this package's tests only), runs in the
	// manager's goroutine before it touches the storage: the shared-storage
	// test holds one instance there until the other has taken the order's
	// lock, so it is the first that answers the second's challenge.
	beforeManage func(context.Context)
	// renewCheck, when set (by this package's tests only), replaces
	// certmagic's 10-minute renewal check interval.
	renewCheck time.Duration
}

// New checks o and reads the CA root file. It starts nothing.
func New(o Options) (*Manager, error) {
	if len(o.Domains) == 0 {
		return nil, errors.New("acme: domains: at least one name is required")
	}
	if o.HTTPChallengeAddr == "" && o.TLSALPNChallengeAddr == "" {
		return nil, errors.New("acme: no challenge can be answered: HTTP-01 needs the plain listener, TLS-ALPN-01 the TLS listener")
	}
	if o.Directory == "" {
		o.Directory = DefaultDirectory
	}
	if o.Storage == "" {
		o.Storage = DefaultStorage
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m := &Manager{opts: o, domains: make(map[string]struct{}, len(o.Domains)), log: o.Logger, ready: make(chan struct{})}
	for _, d := range o.Domains {
		n := normalise(d)
		if n == "" || strings.Contains(n, "*") {
			return nil, fmt.Errorf("acme: domains: %q: need a plain domain name (wildcards need DNS-01, which the gateway does not do)", d)
		}
		m.domains[n] = struct{}{}
	}
	for _, a := range []string{o.HTTPChallengeAddr, o.TLSALPNChallengeAddr} {
		if a == "" {
			continue
		}
		if _, _, err := splitAddr(a); err != nil {
			return nil, fmt.Errorf("acme: challenge address %q: %w", a, err)
		}
	}
	if o.CARoot != "" {
		pem, err := os.ReadFile(o.CARoot)
		if err != nil {
			return nil, fmt.Errorf("acme: ca_root: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("acme: ca_root: %s holds no PEM certificate", o.CARoot)
		}
		m.roots = pool
	}
	return m, nil
}

// Start begins managing the certificates: it loads what the storage holds
// and obtains the rest in the background, retrying with backoff until Stop,
// and keeps renewing them. The gateway's listeners must already be bound
// (see the package comment). Start is a no-op after the first call, and
// after Stop.
func (m *Manager) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.stopped {
		return nil
	}
	if err := os.MkdirAll(m.opts.Storage, 0o700); err != nil {
		return fmt.Errorf("acme: storage: %w", err)
	}
	m.started = true
	zl := newZapLogger(m.log)
	var cfg *certmagic.Config
	// The cache renews what it holds; every certificate in it is ours, so
	// it always manages them with our one Config.
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert:   func(certmagic.Certificate) (*certmagic.Config, error) { return cfg, nil },
		RenewCheckInterval: m.renewCheck,
		Logger:             zl,
	})
	cfg = certmagic.New(m.cache, certmagic.Config{
		Storage: &certmagic.FileStorage{Path: m.opts.Storage},
		Logger:  zl,
	})
	issuer := certmagic.NewACMEIssuer(cfg, m.issuerTemplate(zl))
	cfg.Issuers = []certmagic.Issuer{issuer}
	m.issuer.Store(issuer)
	m.cfg.Store(cfg)

	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(1)
	go m.manage(ctx, cfg)
	return nil
}

// issuerTemplate is the ACME issuer of the options. The challenge ports
// are the gateway's own listeners, so certmagic finds them taken and starts
// no challenge server of its own. ListenHost stays empty: binding the
// wildcard address fails on a port any address holds, whichever address
// the gateway's listener is bound to.
func (m *Manager) issuerTemplate(zl *zap.Logger) certmagic.ACMEIssuer {
	t := certmagic.ACMEIssuer{
		CA:                      m.opts.Directory,
		Email:                   m.opts.Email,
		Agreed:                  true,
		TrustedRoots:            m.roots,
		DisableHTTPChallenge:    m.opts.HTTPChallengeAddr == "",
		DisableTLSALPNChallenge: m.opts.TLSALPNChallengeAddr == "",
		Logger:                  zl,
	}
	if !t.DisableHTTPChallenge {
		_, t.AltHTTPPort, _ = splitAddr(m.opts.HTTPChallengeAddr)
	}
	if !t.DisableTLSALPNChallenge {
		_, t.AltTLSALPNPort, _ = splitAddr(m.opts.TLSALPNChallengeAddr)
	}
	return t
}

// Stop ends the background work: it cancels an order in flight, waits for
// the manager's goroutine and stops certmagic's maintenance (which releases
// its storage locks). Safe to call more than once, and without Start.
func (m *Manager) Stop() {
	m.mu.Lock()
	if !m.started || m.stopped {
		m.stopped = true
		m.mu.Unlock()
		return
	}
	m.stopped = true
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
	m.cache.Stop()
}

// Ready is closed once every domain has a certificate (loaded from the
// storage or newly obtained).
func (m *Manager) Ready() <-chan struct{} { return m.ready }

// manage loads each domain's certificate from the storage or obtains it,
// one goroutine per name so that a failing name holds back no other, and
// closes ready once all are served. Renewal afterwards is certmagic's
// maintenance (every 10 minutes it renews what is due, a third of the
// lifetime before expiry or when the CA's renewal information says so).
func (m *Manager) manage(ctx context.Context, cfg *certmagic.Config) {
	defer m.wg.Done()
	if m.beforeManage != nil {
		m.beforeManage(ctx)
	}
	var wg sync.WaitGroup
	ok := make([]bool, len(m.opts.Domains))
	for i, d := range m.opts.Domains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok[i] = m.manageOne(ctx, cfg, normalise(d))
		}()
	}
	wg.Wait()
	for _, o := range ok {
		if !o {
			return // stopped before every name had a certificate
		}
	}
	m.readyOnce.Do(func() { close(m.ready) })
}

// manageOne loads name's certificate from the storage, or obtains it
// first, until it succeeds or ctx ends. It uses certmagic's non-interactive
// calls only: its interactive ones (ManageSync) prompt on standard input
// for an email address when none is configured. ObtainCertAsync takes the
// storage lock (another instance may be ordering the same name; then it
// finds the certificate in the storage once the lock is free) and retries
// a failed order with a growing wait (1 minute up to hours) until ctx ends.
func (m *Manager) manageOne(ctx context.Context, cfg *certmagic.Config, name string) bool {
	wait := 2 * time.Second
	for {
		_, err := cfg.CacheManagedCertificate(ctx, name)
		if errors.Is(err, fs.ErrNotExist) {
			if err = cfg.ObtainCertAsync(ctx, name); err == nil {
				_, err = cfg.CacheManagedCertificate(ctx, name)
			}
		}
		if err == nil {
			// A certificate loaded from the storage may already be due:
			// renew it now rather than at the first maintenance tick.
			if err := m.cache.RenewManagedCertificates(ctx); err != nil && ctx.Err() == nil {
				m.log.Error("acme: renewing a stored certificate", slog.String("domain", name), slog.String("error", err.Error()))
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		m.log.Error("acme: no certificate yet, will retry", slog.String("domain", name),
			slog.String("error", err.Error()), slog.Duration("retry_in", wait))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		wait = min(2*wait, time.Hour)
	}
}

// splitAddr returns a listener address's host and port.
func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a bound port", p)
	}
	return host, port, nil
}

// normalise is the form names are compared in: lower case, no trailing dot.
func normalise(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}
