package proxy

import (
	"errors"
	"log/slog"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/redis/rueidis"

	"github.com/premier-gateway/premier/cache"
	"github.com/premier-gateway/premier/internal/sock"
	"github.com/premier-gateway/premier/internal/watchdog"
	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/limiter"
	"github.com/premier-gateway/premier/proxy/accesslog"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/h2"
	"github.com/premier-gateway/premier/proxy/metrics"
	"github.com/premier-gateway/premier/proxy/upstream"
	"github.com/premier-gateway/premier/proxy/wsrelay"
)

// Version is the gateway's version, reported by -version, the status page
// and premier_build_info: "dev" unless stamped at build time with
// -ldflags "-X github.com/premier-gateway/premier/proxy.Version=V" (make
// dist and the Dockerfile do).
var Version = "dev"

// Gateway is the running policy layer: the current compiled table plus the
// state that survives reloads (backend pool, counters).
type Gateway struct {
	cur  atomic.Pointer[table]
	pool *lb.Pool
	app  fasthttp.RequestHandler
	log  *slog.Logger

	metrics  metrics.Collector
	breakers breakerRegistry
	splits   splitRegistry // split groups' request counters
	ws       *wsrelay.Hub  // relayed WebSocket connections and their counters
	// keepsHijacked: the server of Serve (KeepHijackedConns) serves g,
	// so a WebSocket relay may return from the handler and run on its own.
	keepsHijacked   atomic.Bool
	limiters        *limiter.Registry
	cache           *cache.Cache
	redis           rueidis.Client // nil without a `redis:` block
	backendFailures failureLog
	maxWebSockets   int // limits.max_connections at start: the cap on open WebSocket relays, and on close-delimited HTTP/1.0 streams
	reloads         atomic.Uint64
	reloadFailures  atomic.Uint64
	reserved        fasthttp.RequestHandler
	challenge       func(*fasthttp.RequestCtx) bool
	dial            fasthttp.DialFunc  // tests: in-memory backends
	watch           *watchdog.Watchdog // far socket deadlines of clients and backends
	conns           sock.ConnCap       // open client connections per address
	// bodies bounds the bytes of bodies held whole at once
	// (limits.max_buffered_body_bytes, set at start).
	bodies upstream.BodyBudget
	// h2 serves the HTTP/2 connections (http2.go).
	h2 *h2.Server
	// streams counts close-delimited responses being written to HTTP/1.0
	// clients on hijacked connections (streamToHTTP10).
	streams atomic.Int64

	tls tlsState // the TLS listeners' certificates and background work (tls.go)

	// alog is the access log (nil: off); alogDropped counts the drops of
	// the logs a reload replaced.
	alog        atomic.Pointer[accesslog.Log]
	alogDropped atomic.Uint64
	// traceDropped counts the span drops of the tracers a reload or
	// Close retired.
	traceDropped atomic.Uint64
	// logSettings applies log.level and log.format (WithLogSettings).
	logSettings func(level, format string)

	mu       sync.Mutex // serialises reloads
	versions versionLog // the configs run, stamped when each took effect (versions.go)
	// ownWrite is the SHA-256 of the config text the gateway last wrote to
	// its file (reload.go), so the watcher does not reload it again.
	ownWrite atomic.Pointer[[32]byte]
	// healthEvents is the backends' health timeline (healthlog.go).
	healthEvents healthLog
	closeOnce    sync.Once
	refreshes    refreshes // the cache's background refreshes (cacherefresh.go)
	// retiring are the tracers a reload replaced, still flushing (tracing.go).
	retiring sync.WaitGroup

	// The draining state (health.go): set once by StartDraining, with
	// the time it began (the lame duck counts from it).
	draining   atomic.Bool
	drainOnce  sync.Once
	drainStart time.Time
}

// Option configures New.
type Option func(*Gateway)

// WithHandler runs the gateway in plugin mode: the policies wrap h, an
// in-process handler, instead of forwarding to servers.
func WithHandler(h fasthttp.RequestHandler) Option { return func(g *Gateway) { g.app = h } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(g *Gateway) { g.log = l } }

// WithLogSettings gives the gateway the function that applies the config's
// log.level and log.format to its logger; New and every reload call it.
func WithLogSettings(apply func(level, format string)) Option {
	return func(g *Gateway) { g.logSettings = apply }
}

// WithReservedHandler serves the reserved prefix (the dashboard) with h
// instead of the built-in status page.
func WithReservedHandler(h fasthttp.RequestHandler) Option {
	return func(g *Gateway) { g.reserved = h }
}

// SetReservedHandler serves the reserved prefix (the dashboard) with h.
// Call it before serving requests.
func (g *Gateway) SetReservedHandler(h fasthttp.RequestHandler) { g.reserved = h }

// SetACMEChallenge gives the request path the ACME HTTP-01 check (the ACME
// manager's ServeHTTPChallenge): each request asks it first, after the
// head is vetted and before routing, the reserved prefix and any redirect,
// and it reports whether it answered. Call it before serving requests.
func (g *Gateway) SetACMEChallenge(h func(*fasthttp.RequestCtx) bool) { g.challenge = h }

// ErrNotStandalone is returned by New for a config without servers when no
// in-process handler is given.
var ErrNotStandalone = errors.New("config has no servers and no in-process handler")

// New compiles l into a running gateway.
func New(l *config.Loaded, opts ...Option) (*Gateway, error) {
	g := &Gateway{log: slog.Default()}
	for _, o := range opts {
		o(g)
	}
	g.backendFailures = failureLog{log: g.log, interval: time.Minute}
	g.ws = wsrelay.NewHub(wsrelay.HubOptions{Log: g.log, Opened: g.metrics.WebSocketOpened, Closed: g.metrics.WebSocketClosed})
	g.maxWebSockets = l.Config.Limits.MaxConnections
	g.bodies.SetLimit(l.Config.Limits.MaxBufferedBodyBytes)
	if g.app == nil {
		if err := l.Standalone(); err != nil {
			return nil, errors.Join(ErrNotStandalone, err)
		}
	}
	g.watch = watchdog.New(0)
	if l.Config.TLS != nil { // the TLS listener's own port replaces the configured one (ListenTLS)
		g.tls.setTLSAnswers(l.Config.TLS, nil)
	}
	g.h2 = g.newHTTP2(l.Config)
	if err := g.openShared(l.Config); err != nil {
		g.Close()
		return nil, err
	}
	t, err := g.compile(l)
	if err != nil {
		g.Close()
		return nil, err
	}
	al, err := g.openAccessLog(l.Config)
	if err != nil {
		g.Close()
		return nil, err
	}
	g.alog.Store(al)
	g.applyLogSettings(l.Config)
	g.syncBackends(t)
	t.tracer = g.openTracer(l.Config.Tracing)
	g.cur.Store(t)
	g.versions.record(l, "start", true)
	if g.pool != nil {
		g.healthEvents.start(g.backendStates, healthSampleEvery)
	}
	for _, w := range l.Warnings {
		g.log.Warn(w.String())
	}
	return g, nil
}

// openShared builds what every table shares and what outlives reloads: the
// backend pool, the limiter registry, the response cache and the Redis
// client behind them.
func (g *Gateway) openShared(c *config.Config) error {
	g.pool = lb.NewPool(g.configureClient(c.Limits))
	limOpts := []limiter.Option{limiter.WithMaxKeys(c.Limits.MaxLimiterKeys)}
	var cacheOpts []cache.Option
	if c.Redis != nil {
		client, err := newRedisClient(c.Redis)
		if err != nil {
			g.log.Error("Redis unreachable at start: limits stay local and the cache memory-only until restart",
				slog.String("error", err.Error()))
		} else {
			g.redis = client
			timeout := seconds(c.Redis.Timeout)
			limOpts = append(limOpts, limiter.WithStore(limiter.NewRedisStore(client, limiter.RedisOptions{
				Keyspace: c.Keyspace + ":rl", Timeout: timeout, FailOpen: c.Redis.FailOpen, Logger: g.log,
			})))
			cacheOpts = append(cacheOpts, cache.WithRedis(client, cache.RedisOptions{Keyspace: c.Keyspace + ":cache", Timeout: timeout}))
		}
	}
	g.limiters = limiter.NewRegistry(limOpts...)
	ch, err := cache.New(c.Cache, cacheOpts...)
	if err != nil {
		return err
	}
	g.cache = ch
	return nil
}

// configureClient sets the backend clients' options from the limits.
func (g *Gateway) configureClient(lim config.Limits) func(*fasthttp.HostClient) {
	return func(c *fasthttp.HostClient) {
		c.DisableHeaderNamesNormalizing = false
		c.ReadTimeout = seconds(lim.BackendTimeout)
		c.WriteTimeout = seconds(lim.BackendTimeout)
		c.MaxConns = lim.MaxConnsPerBackend
		// A full pool queues the request for a free connection (up to
		// backend_queue_timeout or the request's deadline).
		c.MaxConnWaitTimeout = seconds(lim.BackendQueueTimeout)
		c.MaxIdleConnDuration = 30 * time.Second
		c.ReadBufferSize = upstream.ResponseReadBuffer
		c.WriteBufferSize = upstream.RequestWriteBuffer
		c.MaxResponseBodySize = 0
		c.DialTimeout = g.dialBackend
		if c.IsTLS {
			// The handshake happens in the dial, bounded by the dial's
			// timeout (the attempt's), not fasthttp's after it.
			tc, fallback := c.TLSConfig, c.WriteTimeout
			c.DialTimeout = func(addr string, timeout time.Duration) (net.Conn, error) {
				return upstream.DialTLS(g.watch, g.dial, addr, timeout, fallback, tc)
			}
		}
	}
}

// Reload validates and compiles l fully, then swaps it in atomically.
// In-flight requests finish on the old table. On error nothing changes.
func (g *Gateway) Reload(l *config.Loaded) error {
	_, err := g.reloadAs(l, "reload", false)
	return err
}

// reloadAs reloads l and records it as a config version of origin
// ("dashboard", "SIGHUP", "file changed"…), stamped now; it returns the
// version's number. always: a new version even for the running text (see
// versionLog.record).
func (g *Gateway) reloadAs(l *config.Loaded, origin string, always bool) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.app == nil {
		if err := l.Standalone(); err != nil {
			g.reloadFailures.Add(1)
			return 0, err
		}
	}
	t, err := g.compile(l)
	if err != nil {
		g.reloadFailures.Add(1)
		return 0, err
	}
	if err := g.reloadAccessLog(g.cur.Load().loaded.Config, l.Config); err != nil {
		g.reloadFailures.Add(1)
		return 0, err
	}
	g.applyLogSettings(l.Config)
	retired := g.keepTracer(g.cur.Load(), t)
	old := g.cur.Swap(t)
	if retired != nil {
		g.retiring.Go(func() { // flushes its queue off the reload's path
			g.shutdownTracer(retired)
			g.traceDropped.Add(retired.Dropped())
		})
	}
	n := g.versions.record(l, origin, always)
	g.syncBackends(t)
	g.breakers.retain(t.breakerKeys)
	g.splits.retain(t.splitKeys)
	g.limiters.Retain(t.limiterIDs)
	g.ws.CloseRemoved(t.wsRoutes(), seconds(l.Config.Limits.ShutdownGrace))
	g.reloads.Add(1)
	g.tls.reloadCertificates() // SIGHUP and config reloads read the certificate files again
	for _, w := range l.Warnings {
		g.log.Warn(w.String())
	}
	if oc := old.loaded.Config; oc.Limits != l.Config.Limits || oc.Cache != l.Config.Cache || !sameRedis(oc.Redis, l.Config.Redis) {
		g.log.Warn("limits, cache or redis settings changed: they apply at start; restart to use the new values")
	}
	if oc := old.loaded.Config; oc.Listen != l.Config.Listen || oc.H2C != l.Config.H2C || !reflect.DeepEqual(oc.TLS, l.Config.TLS) {
		g.log.Warn("listen, h2c or tls settings changed: the listeners and their certificates are set up at start; restart to use the new values")
	}
	return n, nil
}

// ReloadFile loads path and reloads it; the error lists every problem.
func (g *Gateway) ReloadFile(path string) error { return g.reloadFile(path, "reload") }

// reloadFile loads path and reloads it as a version of origin.
func (g *Gateway) reloadFile(path, origin string) error {
	data, err := config.ReadFile(path)
	if err != nil {
		g.reloadFailures.Add(1)
		return config.Problems{{File: path, Msg: err.Error()}}
	}
	return g.reloadBytesAs(path, data, origin)
}

// reloadBytes parses data (named path in errors) and reloads it.
func (g *Gateway) reloadBytes(path string, data []byte) error {
	return g.reloadBytesAs(path, data, "reload")
}

// reloadBytesAs parses data (named path in errors) and reloads it as a
// version of origin.
func (g *Gateway) reloadBytesAs(path string, data []byte, origin string) error {
	l, err := config.Parse(path, data)
	if err != nil {
		g.reloadFailures.Add(1)
		return err
	}
	_, err = g.reloadAs(l, origin, false)
	return err
}

// syncBackends forgets backends t does not use and applies its health checks.
func (g *Gateway) syncBackends(t *table) {
	g.pool.Retain(t.backendKeys)
	g.pool.SyncHealthChecks(t.healthChecks)
}

// Loaded returns the running configuration.
func (g *Gateway) Loaded() *config.Loaded { return g.cur.Load().loaded }

// Close stops background work (health checks, the limiter clock, the
// cache's writer) and closes idle backend connections and Redis. Call it
// after the server stopped.
func (g *Gateway) Close() { g.closeOnce.Do(g.close) }

func (g *Gateway) close() {
	if l := g.alog.Swap(nil); l != nil { // after the server stopped: every request is in it
		l.Close()
		g.alogDropped.Add(l.Dropped())
	}
	if t := g.cur.Load(); t != nil {
		g.shutdownTracer(t.tracer) // the spans still queued are exported
	}
	g.retiring.Wait()
	g.healthEvents.close() // it reads the pool
	g.refreshes.close()    // they use the pool and the cache
	g.tls.stop()
	if g.pool != nil {
		g.pool.Close()
	}
	if g.limiters != nil {
		g.limiters.Close()
	}
	if g.cache != nil {
		g.cache.Close()
	}
	if g.redis != nil {
		g.redis.Close()
	}
	if g.watch != nil {
		g.watch.Close()
	}
}

func sameRedis(a, b *config.RedisConfig) bool {
	return a == b || a != nil && b != nil && *a == *b
}

// applyLogSettings applies c's log block (WithLogSettings).
func (g *Gateway) applyLogSettings(c *config.Config) {
	if g.logSettings != nil {
		g.logSettings(c.Log.Level, c.Log.Format)
	}
}
