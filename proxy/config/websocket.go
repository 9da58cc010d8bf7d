package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// WebSocket is the `websocket` feature of a rule: limits for the WebSocket
// connections the rule proxies. Without it upgrades are still proxied, with
// no size, idle, connection-count or origin limit.
type WebSocket struct {
	// MaxMessageBytes bounds one message (the sum of its fragments' payloads,
	// as sent on the wire, so compressed size under permessage-deflate). A
	// larger message closes the connection with 1009 both ways.
	// Default 1048576 (1 MiB).
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
	// IdleTimeout closes a connection with 1001 when no frame (data, ping or
	// pong) crossed it either way for this many seconds. Default 300.
	IdleTimeout float64 `yaml:"idle_timeout"`
	// MaxConnections caps the rule's open WebSocket connections; handshakes
	// beyond it get 503. Default 0: no per-rule cap.
	MaxConnections int `yaml:"max_connections"`
	// AllowedOrigins lists the Origin values accepted at the handshake:
	// exact origins ("https://app.example.com", compared case-insensitively),
	// a subdomain wildcard ("https://*.example.com") or "*". When set, a
	// handshake whose Origin is absent or not listed gets 403.
	// Default: none (any origin).
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// Defaults fills the defaults into a zero WebSocket before it is decoded.
func (w *WebSocket) Defaults() {
	w.MaxMessageBytes = 1 << 20
	w.IdleTimeout = 300
}

// Validate checks the websocket feature.
func (w *WebSocket) Validate() error {
	var errs []error
	if w.MaxMessageBytes <= 0 {
		errs = append(errs, fmt.Errorf("max_message_bytes: must be positive, got %d", w.MaxMessageBytes))
	}
	if !(w.IdleTimeout > 0) {
		errs = append(errs, fmt.Errorf("idle_timeout: must be positive (seconds), got %v", w.IdleTimeout))
	}
	if w.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("max_connections: must not be negative (0: no cap), got %d", w.MaxConnections))
	}
	for _, o := range w.AllowedOrigins {
		if err := validOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("allowed_origins: %w", err))
		}
	}
	return errors.Join(errs...)
}

// validOrigin accepts "*" or scheme://host[:port], where host may start
// with "*." and nothing follows the authority.
func validOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(strings.Replace(o, "://*.", "://wildcard.", 1))
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" ||
		strings.Count(o, "*") > 1 || (strings.Contains(o, "*") && !strings.Contains(o, "://*.")) {
		return fmt.Errorf("%q is not an origin (want \"*\", scheme://host[:port] or scheme://*.domain)", o)
	}
	return nil
}
