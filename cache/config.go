package cache

import (
	"errors"
	"fmt"
)

// Config is the top-level `cache` block: memory bounds shared by every rule.
type Config struct {
	// MaxBytes bounds the in-memory cache (ristretto cost = entry bytes).
	// Default 268435456 (256 MiB).
	MaxBytes int64 `yaml:"max_bytes"`
	// MaxEntryBytes is the largest response stored; larger ones stream
	// through uncached. Default 8388608 (8 MiB).
	MaxEntryBytes int64 `yaml:"max_entry_bytes"`
	// TargetedField names the response field that steers this cache alone
	// (an RFC 9213 targeted field, like CDN-Cache-Control but for Premier
	// only): when a response carries it, its directives replace
	// CDN-Cache-Control, Cache-Control and Expires for every caching
	// decision, and it is removed from the response. Default
	// "Premier-Cache-Control".
	TargetedField string `yaml:"targeted_field"`
	// IgnoreCDNCacheControl makes the cache ignore CDN-Cache-Control (RFC
	// 9213) and pass it on. Default false: CDN-Cache-Control, when present
	// (and TargetedField is not), replaces Cache-Control and Expires for
	// the cache's decisions and is removed from the response, as a CDN
	// does; a CDN in front of Premier is then steered by a field of its
	// own.
	IgnoreCDNCacheControl bool `yaml:"ignore_cdn_cache_control"`
	// SurrogateControl obeys Surrogate-Control (W3C Edge Architecture:
	// max-age and no-store addressed to every surrogate) below
	// TargetedField and CDN-Cache-Control, and removes it from the
	// response. Default false: it is passed on untouched.
	SurrogateControl bool `yaml:"surrogate_control"`
}

// Defaults fills the defaults into a zero Config before it is decoded.
func (c *Config) Defaults() {
	c.MaxBytes = 256 << 20
	c.MaxEntryBytes = 8 << 20
	c.TargetedField = DefaultTargetedField
}

// Validate reports every problem, each prefixed by its YAML key.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("max_bytes: must be positive, got %d", c.MaxBytes))
	}
	if c.MaxEntryBytes <= 0 {
		errs = append(errs, fmt.Errorf("max_entry_bytes: must be positive, got %d", c.MaxEntryBytes))
	} else if c.MaxEntryBytes > c.MaxBytes {
		errs = append(errs, fmt.Errorf("max_entry_bytes: must not exceed max_bytes (%d)", c.MaxBytes))
	}
	if err := validTargetedField(c.TargetedField); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Policy is the `cache` feature of one rule.
type Policy struct {
	// ExpireS is the entry lifetime in seconds, the operator's override of
	// the response's own: it also makes a response without freshness
	// information cacheable. Default 0: the response's s-maxage, max-age,
	// Expires or Last-Modified heuristic (RFC 9111 §4.2), and a response
	// with none of them is not stored.
	ExpireS float64 `yaml:"expire_s"`
	// CacheKey is a key template ({path}, {host}, {query.NAME}, {header.NAME},
	// the rule's {captures}). Default "": method, host, path and query
	// (AppendDefaultKey). The gateway puts the host in front of a template
	// without {host} unless SharedAcrossHosts is set.
	CacheKey string `yaml:"cache_key"`
	// SharedAcrossHosts lets requests for different Host names share
	// entries: the host is then left out of the default key and not added to
	// a cache_key without {host}. Default false: every key includes the
	// host, so one Host can never fill the entry another Host is served
	// (a backend that echoes the Host would otherwise be a poisoning
	// primitive).
	SharedAcrossHosts bool `yaml:"shared_across_hosts"`
	// HonorClientNoCache lets a request's Cache-Control: no-cache or
	// max-age=0 (or Pragma: no-cache) skip the lookup and refill the entry.
	// Default false, as in nginx and Varnish: any client could otherwise
	// force a backend fetch per request, or refill an entry at a moment of
	// its choosing.
	HonorClientNoCache bool `yaml:"honor_client_no_cache"`
	// StaleIfError is how many seconds past its freshness a stored response
	// may be served when the backend fails or answers 5xx (RFC 5861), for
	// responses without their own stale-if-error directive. Default 0: only
	// the response's directive counts.
	StaleIfError float64 `yaml:"stale_if_error"`
	// StaleWhileRevalidate is how many seconds past its freshness a stored
	// response may be served while one background request refreshes it
	// (RFC 5861), for responses without their own stale-while-revalidate
	// directive. Default 0: only the response's directive counts.
	StaleWhileRevalidate float64 `yaml:"stale_while_revalidate"`
	// Rule is the identity of the rule this policy belongs to, set by the
	// gateway when it compiles the route (not read from YAML). Every key is
	// namespaced by it and PurgeRule takes it. It must stay the same across
	// reloads for entries to survive them, and must not contain a NUL byte.
	// Default "": one namespace shared by every rule that leaves it empty.
	Rule string `yaml:"-"`
}

// Validate reports every problem, each prefixed by its YAML key.
func (p *Policy) Validate() error {
	var errs []error
	if p.ExpireS < 0 {
		errs = append(errs, fmt.Errorf("expire_s: must not be negative, got %v", p.ExpireS))
	}
	if p.StaleIfError < 0 || p.StaleIfError > maxStaleWindow.Seconds() {
		errs = append(errs, fmt.Errorf("stale_if_error: must be 0 to %v seconds, got %v", maxStaleWindow.Seconds(), p.StaleIfError))
	}
	if p.StaleWhileRevalidate < 0 || p.StaleWhileRevalidate > maxStaleWindow.Seconds() {
		errs = append(errs, fmt.Errorf("stale_while_revalidate: must be 0 to %v seconds, got %v", maxStaleWindow.Seconds(), p.StaleWhileRevalidate))
	}
	return errors.Join(errs...)
}
