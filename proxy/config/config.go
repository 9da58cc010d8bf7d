package config

import (
	"github.com/premier-gateway/premier/cache"
	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/limiter"
	"github.com/premier-gateway/premier/proxy/access"
	"github.com/premier-gateway/premier/proxy/auth"
	"github.com/premier-gateway/premier/proxy/compress"
	"github.com/premier-gateway/premier/proxy/tracing"
	"github.com/premier-gateway/premier/resilience"
)

// File is the whole YAML document: everything lives under the root key
// `premier:`.
type File struct {
	Premier Config `yaml:"premier"`
}

// Config is the `premier:` block.
type Config struct {
	// Keyspace namespaces cache keys and limiter counters (also in Redis).
	// Default "asgi-gateway" (the seed's default).
	Keyspace string `yaml:"keyspace"`
	// Listen is the address the standalone gateway's plain HTTP listener
	// listens on (`-listen` overrides it); "" turns the plain listener
	// off, which is allowed only with tls. Default ":8000".
	Listen string `yaml:"listen"`
	// TLS adds a listener terminating TLS in front of the same rules.
	// Default: none (plain HTTP only).
	TLS *TLS `yaml:"tls"`
	// H2C serves HTTP/2 with prior knowledge (RFC 9113 §3.3: the client
	// starts with the HTTP/2 preface, no upgrade) on the plain listener,
	// next to HTTP/1.1. For clients inside a trusted network (a load
	// balancer or service mesh speaking h2c); browsers use HTTP/2 over TLS
	// only. Default false.
	H2C bool `yaml:"h2c"`
	// Servers are the default backends of every rule without its own.
	// Default: none (a config without servers anywhere is a plugin-mode config).
	Servers []lb.Server `yaml:"servers"`
	// LB selects the balancer for Servers. Default round_robin, no health checks.
	LB *lb.Config `yaml:"lb"`
	// BackendTLS is how the gateway connects to https:// servers. Default:
	// verified against the system roots, no client certificate.
	BackendTLS *BackendTLS `yaml:"backend_tls"`
	// Paths are the rules, matched in file order; the first match wins.
	// Default: none.
	Paths []PathRule `yaml:"paths"`
	// DefaultFeatures apply to requests no path matches. Default: none.
	DefaultFeatures *Features `yaml:"default_features"`
	// TrustedProxies lists CIDRs (or single IPs) whose X-Forwarded-For and
	// Forwarded headers are believed. Default: none (the TCP peer is the client).
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Limits are the server's safety limits.
	Limits Limits `yaml:"limits"`
	// Redis shares limits and cache across instances. Default: none (local only).
	Redis *RedisConfig `yaml:"redis"`
	// Cache bounds the response cache's memory and names the targeted
	// cache-control fields it obeys.
	Cache cache.Config `yaml:"cache"`
	// Dashboard configures the reserved prefix and its access.
	Dashboard Dashboard `yaml:"dashboard"`
	// RequestID names the header carrying each request's ID (on by
	// default).
	RequestID RequestID `yaml:"request_id"`
	// Compression is the default `compression` feature of every rule (and
	// of default_features) without its own. Default: none (no compression).
	Compression *compress.Config `yaml:"compression"`
	// AccessLog writes one line per request. Default: none.
	AccessLog *AccessLog `yaml:"access_log"`
	// Log sets the level and format of the gateway's own log lines.
	Log Log `yaml:"log"`
	// Tracing exports OpenTelemetry spans over OTLP/HTTP (off unless
	// otlp_endpoint is set); W3C trace context is propagated either way.
	Tracing tracing.Config `yaml:"tracing"`
}

// Defaults fills the defaults into a zero Config before it is decoded.
func (c *Config) Defaults() {
	c.Keyspace = "asgi-gateway"
	c.Listen = ":8000"
}

// PathRule is one entry of `paths`.
type PathRule struct {
	// Pattern is exact, glob (`*` crosses `/`, `?`, `[...]`), regex when it
	// starts with `^`; `{name}` captures one segment. Required.
	Pattern string `yaml:"pattern"`
	// Strict keeps an exact pattern with features to its own path. Without
	// it such a rule also matches the path followed by any run of '.' and
	// '/' ("/api/login/", "/api/login.", from "/api/login/." or
	// "/api/login%2e" too), forms many backends serve as the path itself,
	// so they cannot slip past the rule's policies. Only for exact patterns.
	// Default false.
	Strict bool `yaml:"strict"`
	// Hosts limits the rule to requests for these host names: exact
	// names, or `*.example.com` for one label in front of example.com
	// (not the apex, not two labels), as in certificates; letters in any
	// case, the request's port and a trailing dot ignored. Default: none
	// (every host).
	Hosts []string `yaml:"hosts"`
	// Methods limits the rule to these methods (written in any case,
	// matched in upper case; HEAD is its own method). A CORS preflight
	// counts as the method it announces. Default: none (every method).
	Methods []string `yaml:"methods"`
	// Headers limits the rule to requests with these header values: exact,
	// or an RE2 regexp when the value starts with `^`; an absent header
	// reads as empty. Default: none.
	Headers Values `yaml:"headers"`
	// Query is Headers for query parameters (their decoded values).
	// Default: none.
	Query Values `yaml:"query"`
	// Servers overrides the global servers for this rule. Default: the global ones.
	Servers []lb.Server `yaml:"servers"`
	// LB overrides the balancer for this rule's own servers. Default: the global lb.
	LB *lb.Config `yaml:"lb"`
	// BackendTLS replaces the top-level backend_tls for this rule's
	// https:// servers (its own, or the global ones it uses). Default: the
	// top-level block.
	BackendTLS *BackendTLS `yaml:"backend_tls"`
	// Features are the policies applied to matching requests. Default: none.
	Features Features `yaml:"features"`
}

// Any reports whether f sets any feature (a rule "with policies").
func (f *Features) Any() bool {
	return f.Cache != nil || f.RateLimit != nil || f.Timeout != nil || f.Retry != nil ||
		f.CircuitBreaker != nil || f.Monitoring != nil || f.WebSocket != nil || f.IPFilter != nil || f.CORS != nil || f.Auth != nil ||
		f.Rewrite != nil || f.RequestHeaders != nil || f.ResponseHeaders != nil || f.Redirect != nil ||
		f.Split != nil || f.MaxBodyBytes > 0
}

// Features are the policies of one rule (or of default_features).
type Features struct {
	// Cache enables the response cache. Default: off.
	Cache *cache.Policy `yaml:"cache"`
	// RateLimit enables rate limiting. Default: off.
	RateLimit *RateLimit `yaml:"rate_limit"`
	// Timeout bounds the whole request. Default: off (the limits still apply).
	Timeout *Timeout `yaml:"timeout"`
	// Retry retries failed attempts. Default: off (one attempt).
	Retry *resilience.RetryConfig `yaml:"retry"`
	// CircuitBreaker trips per backend after consecutive failures. Default: off.
	CircuitBreaker *resilience.BreakerConfig `yaml:"circuit_breaker"`
	// Monitoring logs slow requests. Default: off.
	Monitoring *Monitoring `yaml:"monitoring"`
	// WebSocket sets limits for proxied WebSocket connections. Default: off
	// (upgrades are still proxied, with no extra limits).
	WebSocket *WebSocket `yaml:"websocket"`
	// IPFilter serves only the client addresses it allows (403 otherwise),
	// before CORS, auth and rate limits. Default: off.
	IPFilter *access.FilterConfig `yaml:"ip_filter"`
	// CORS answers the rule's CORS preflights (204, before auth and rate
	// limits) and adds Access-Control-* headers to its answers. Default: off.
	CORS *access.CORSConfig `yaml:"cors"`
	// Auth requires credentials (api_keys, basic) before the rate limit
	// and the cache. Default: off.
	Auth *auth.Config `yaml:"auth"`
	// Compression compresses the rule's answers (zstd, br, gzip) for the
	// clients that accept it. Default: the top-level compression block,
	// else off; `algorithms: []` turns it off for the rule.
	Compression *compress.Config `yaml:"compression"`
	// Rewrite changes the path the backend gets (after the cache and the
	// rate limit keyed the request's own). Default: off.
	Rewrite *Rewrite `yaml:"rewrite"`
	// RequestHeaders sets, adds and removes request headers on the way to
	// the backend, after the gateway's own sanitising. Default: off.
	RequestHeaders *HeaderRules `yaml:"request_headers"`
	// ResponseHeaders sets, adds and removes response headers on backend
	// answers and cache hits (the gateway's own answers too with always).
	// Default: off.
	ResponseHeaders *HeaderRules `yaml:"response_headers"`
	// Redirect answers the rule's requests with a redirect, before any
	// other feature. Default: off.
	Redirect *Redirect `yaml:"redirect"`
	// Split sends the rule's requests to weighted groups of servers, each
	// with its own lb (a canary: 95 to v1, 5 to v2); it replaces the rule's
	// `servers`. Default: off (the rule's servers, or the top-level ones).
	Split []SplitGroup `yaml:"split"`
	// SplitSticky keeps a client on one split group: true (or cookie) by
	// a cookie the gateway sets, ip by a hash of the client address.
	// Default false: every request chosen by weight.
	SplitSticky SplitSticky `yaml:"split_sticky"`
	// MaxBodyBytes bounds this rule's request bodies (413 beyond), in
	// place of limits.max_body_bytes, larger or smaller. Default: the
	// limits' value.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// RateLimit is the `rate_limit` feature.
type RateLimit struct {
	limiter.Config `yaml:",inline"`
	// Key is the counter key template: {client_ip}, {header.NAME},
	// {query.NAME}, {method}, {path}, the rule's captures, or the literal
	// `global` for one counter per rule. Default "{client_ip}".
	Key string `yaml:"key"`
	// ErrorStatus is the status of a rejection. Default 429.
	ErrorStatus int `yaml:"error_status"`
	// ErrorMessage is the rejection's JSON error text. Default "Rate limit exceeded".
	ErrorMessage string `yaml:"error_message"`
}

// Defaults fills the defaults into a zero RateLimit before it is decoded.
func (r *RateLimit) Defaults() {
	r.Config.Defaults()
	r.Key = "{client_ip}"
	r.ErrorStatus = 429
	r.ErrorMessage = "Rate limit exceeded"
}

// Timeout is the `timeout` feature: the whole request's budget.
type Timeout struct {
	// Seconds is the budget in seconds. Required, > 0.
	Seconds float64 `yaml:"seconds"`
	// ErrorStatus is the status when the budget runs out. Default 504.
	ErrorStatus int `yaml:"error_status"`
	// ErrorMessage is the JSON error text. Default "Request timeout".
	ErrorMessage string `yaml:"error_message"`
}

// Defaults fills the defaults into a zero Timeout before it is decoded.
func (t *Timeout) Defaults() {
	t.ErrorStatus = 504
	t.ErrorMessage = "Request timeout"
}

// Monitoring is the `monitoring` feature.
type Monitoring struct {
	// LogThreshold logs requests slower than this many seconds. Default 0.1.
	LogThreshold float64 `yaml:"log_threshold"`
}

// Defaults fills the defaults into a zero Monitoring before it is decoded.
func (m *Monitoring) Defaults() { m.LogThreshold = 0.1 }

// Limits are the server's safety limits, each overridable.
type Limits struct {
	// ReadTimeout bounds reading a request's headers and buffered body, in
	// seconds (slowloris defence). Default 30.
	ReadTimeout float64 `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response, in seconds. Default 60.
	WriteTimeout float64 `yaml:"write_timeout"`
	// IdleTimeout closes keep-alive connections idle this long, in seconds. Default 60.
	IdleTimeout float64 `yaml:"idle_timeout"`
	// MaxHeaderBytes bounds the request line plus headers; larger → 431. Default 16384.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// MaxBodyBytes bounds request bodies; larger → 413. Default 104857600 (100 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxConnections caps concurrent client connections. Default 10000.
	MaxConnections int `yaml:"max_connections"`
	// MaxConnectionsPerIP caps one client address's concurrent connections
	// (an IPv6 client's by its /64); a connection over it gets 429 and is
	// closed. 0: no cap. Default 0.
	MaxConnectionsPerIP int `yaml:"max_connections_per_ip"`
	// BackendTimeout bounds one backend exchange (connect, write, response
	// headers) when no timeout feature applies, in seconds. Default 60.
	BackendTimeout float64 `yaml:"backend_timeout"`
	// MaxConnsPerBackend caps keep-alive connections to each backend. Default 1024.
	MaxConnsPerBackend int `yaml:"max_conns_per_backend"`
	// BackendQueueTimeout is how long a request waits for a free connection
	// when max_conns_per_backend are all in use (bounded by its own
	// deadline), in seconds; then 503. 0: no waiting. Default 1.
	BackendQueueTimeout float64 `yaml:"backend_queue_timeout"`
	// ShutdownGrace bounds draining in-flight requests on SIGTERM, in seconds. Default 10.
	ShutdownGrace float64 `yaml:"shutdown_grace"`
	// LameDuck keeps the listeners open and serving this many seconds
	// after a drain begins (SIGTERM, the old side of an upgrade), with
	// {prefix}/readyz answering 503, before they stop accepting and
	// shutdown_grace begins: time for a load balancer to notice. Default
	// 0: stop accepting at once.
	LameDuck float64 `yaml:"lame_duck"`
	// MaxLimiterKeys caps the keys each rate limit tracks in memory; at the
	// cap, new keys of a full shard share one overflow counter. Default 1048576.
	MaxLimiterKeys int `yaml:"max_limiter_keys"`
	// MaxBufferedBodyBytes bounds the bytes of bodies held whole in memory
	// at once, across all requests: response bodies over 64 KiB read whole
	// (to fill the cache) and request bodies kept for a retry to replay.
	// Past it, responses stream uncached and request bodies stream without
	// replay; no request fails for it. Default 268435456 (256 MiB).
	MaxBufferedBodyBytes int64 `yaml:"max_buffered_body_bytes"`
}

// Defaults fills the defaults into a zero Limits before it is decoded.
func (l *Limits) Defaults() {
	l.ReadTimeout = 30
	l.WriteTimeout = 60
	l.IdleTimeout = 60
	l.MaxHeaderBytes = 16 << 10
	l.MaxBodyBytes = 100 << 20
	l.MaxConnections = 10000
	l.BackendTimeout = 60
	l.MaxConnsPerBackend = 1024
	l.BackendQueueTimeout = 1
	l.ShutdownGrace = 10
	l.MaxLimiterKeys = 1 << 20
	l.MaxBufferedBodyBytes = 256 << 20
}

// RedisConfig is the top-level `redis` block.
type RedisConfig struct {
	// URL is the Redis address, e.g. redis://127.0.0.1:6379/0. Required.
	URL string `yaml:"url"`
	// Timeout bounds each Redis call, in seconds. Default 0.05.
	Timeout float64 `yaml:"timeout"`
	// FailOpen admits requests when Redis is down or slow. Default true.
	FailOpen bool `yaml:"fail_open"`
}

// Defaults fills the defaults into a zero RedisConfig before it is decoded.
func (r *RedisConfig) Defaults() {
	r.Timeout = 0.05
	r.FailOpen = true
}

// Dashboard is the `dashboard` block.
type Dashboard struct {
	// Enabled serves the dashboard under Prefix; false answers 404 there
	// (the prefix stays reserved; the health probes {prefix}/healthz and
	// {prefix}/readyz still answer). Default true.
	Enabled bool `yaml:"enabled"`
	// Prefix is the reserved path prefix, never forwarded. Default "/__premier".
	Prefix string `yaml:"prefix"`
	// Token, when set, is required from every client (bearer header, or
	// the login form's cookie for reading), and as a bearer header on
	// every call that changes the gateway (apply, rollback, purge).
	// Without it only loopback clients are served, read-only. Default:
	// none.
	Token string `yaml:"token"`
	// Hosts, when not empty, answers the prefix only for requests whose
	// Host names one of these (case-insensitive, port ignored); other
	// hosts get the gateway's ordinary 404 there, so the dashboard can
	// have an origin of its own (admin.example.com) that no proxied app
	// shares. The health probes answer every host. Default: empty, any
	// host.
	Hosts []string `yaml:"hosts"`
}

// Defaults fills the defaults into a zero Dashboard before it is decoded.
func (d *Dashboard) Defaults() {
	d.Enabled = true
	d.Prefix = "/__premier"
}
