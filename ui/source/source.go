// Package source defines what the dashboard reads from a running gateway:
// the Source interface and the plain data it returns. It imports nothing
// but the standard library, so the gateway (package proxy) can implement
// it without depending on the dashboard's web code, and the dashboard
// (package ui) can serve it without depending on the gateway, the way
// database/sql/driver sits between database/sql and its drivers.
package source

import (
	"errors"
	"io"
	"net/netip"
	"time"
)

// Source is a running gateway as the dashboard sees it. Every method is
// safe for concurrent use; none is on the request path.
type Source interface {
	// Access is the dashboard's access settings from the running config,
	// read on every dashboard request so a reload takes effect at once.
	Access() Access

	// Config is the running configuration (not merely the file).
	Config() Config
	// Validate checks text with the same validator as `premier -check` and
	// describes what applying it would change.
	Validate(text []byte) Validation
	// Apply validates text, hot-reloads it and then writes it to the
	// config file atomically, keeping the previous file. An invalid text
	// returns ErrInvalid with the Validation's errors, and nothing changes.
	// base, when not 0, is the Config.Version the edit started from: if
	// the running config moved on since, Apply returns ErrConflict.
	Apply(text []byte, base int) (Validation, error)
	// Versions lists the applied versions kept for rollback, newest first.
	Versions() []Version
	// Rollback applies a kept version again (as Apply does).
	Rollback(version int) (Validation, error)

	// Snapshot returns the live numbers: overview, routes, backends.
	Snapshot() Snapshot
	// RouteDetail returns one route's last 15 minutes (rate, percentiles,
	// heatmap), or false when no such route was seen.
	RouteDetail(route string) (RouteDetail, bool)
	// Recent returns the last requests matching f, newest first.
	Recent(f RecentFilter) RecentPage

	// Purge removes cached responses: all of them, a rule's, or one key.
	Purge(p Purge) (PurgeResult, error)

	// WriteMetrics writes every metric in the Prometheus text format.
	WriteMetrics(w io.Writer)

	// Explain says which rule a request would match and what the gateway
	// would do with it (`premier -explain`); an error for a malformed
	// query.
	Explain(q ExplainQuery) (Explanation, error)
}

// Sentinel errors a Source returns.
var (
	// ErrInvalid: the config text has errors (listed in the Validation).
	ErrInvalid = errors.New("config is invalid")
	// ErrConflict: the running config changed since the edit began.
	ErrConflict = errors.New("the running config changed since this edit began; reload it first")
	// ErrNoVersion: rollback to a version that is not kept.
	ErrNoVersion = errors.New("no such config version")
	// ErrNotSaved: the config was applied but writing the file failed
	// (the error wraps the cause); the running gateway uses the new config.
	ErrNotSaved = errors.New("config applied but not saved to its file")
	// ErrCacheInactive: no cache is running, so there is nothing to purge.
	ErrCacheInactive = errors.New("cache not active")
)

// Access is the dashboard's access settings.
type Access struct {
	// Enabled is false when the config turns the dashboard off: every
	// request under the prefix is then answered 404.
	Enabled bool
	// Prefix is the reserved path prefix, e.g. "/__premier".
	Prefix string
	// Token, when not empty, is required from every client (bearer header
	// or login cookie); when empty only loopback clients are served.
	Token string
	// ClientIP resolves a request's client address as the gateway does
	// (trusted_proxies): the TCP peer, or the address a trusted proxy
	// forwarded. header returns every value of the named request header.
	// The dashboard throttles wrong tokens per client through it, so one
	// client behind a proxy does not lock out the others. nil: the peer.
	ClientIP func(peer netip.Addr, header func(name string) [][]byte) netip.Addr
}

// Config is the running configuration.
type Config struct {
	File     string    `json:"file"`
	Text     string    `json:"text"`
	Version  int       `json:"version"` // increases with every applied or reloaded config
	LoadedAt time.Time `json:"loaded_at"`
}

// Problem is one error or warning at a position in the config text.
type Problem struct {
	Line    int    `json:"line"` // 1-based; 0 when the problem has no position
	Col     int    `json:"col"`
	Message string `json:"message"`
}

// Validation is the outcome of checking a config text.
type Validation struct {
	OK       bool      `json:"ok"`
	Errors   []Problem `json:"errors"`
	Warnings []Problem `json:"warnings"`
	Diff     Diff      `json:"diff"`
	// Version is the running version after Apply or Rollback (0 otherwise).
	Version int `json:"version,omitempty"`
}

// Diff is what a config text changes against the running config, by rule
// pattern (rules are identified by their pattern, as in the stats).
type Diff struct {
	Added    []string `json:"added"`
	Removed  []string `json:"removed"`
	Changed  []string `json:"changed"`
	Sections []string `json:"sections"` // top-level keys that changed, e.g. "servers"
	Same     bool     `json:"same"`     // nothing changes
}

// Version is one applied config kept for rollback.
type Version struct {
	Version   int       `json:"version"`
	AppliedAt time.Time `json:"applied_at"`
	Origin    string    `json:"origin"` // "start", "dashboard", "rollback", "reload"
	Rules     int       `json:"rules"`
	Bytes     int       `json:"bytes"`
	Current   bool      `json:"current"`
}

// Purge says what to purge: All, or every entry of Rule, or the entry Key.
type Purge struct {
	All  bool   `json:"all"`
	Rule string `json:"rule"`
	Key  string `json:"key"`
}

// PurgeResult is how many entries a purge removed.
type PurgeResult struct {
	Removed int `json:"removed"`
}
