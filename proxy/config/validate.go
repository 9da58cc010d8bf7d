package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/premier-gateway/premier/internal/redact"
	"github.com/premier-gateway/premier/proxy/route"
)

// Each Validate reports every problem, each error prefixed by the YAML key it
// concerns, so the loader can point at that key's line and column.

// Validate checks the rate_limit feature.
func (r *RateLimit) Validate() error {
	errs := []error{r.Config.Validate()}
	errs = append(errs, validStatus("error_status", r.ErrorStatus))
	if r.Key == "" {
		errs = append(errs, errors.New("key: must not be empty (use \"global\" for one counter per rule)"))
	}
	return errors.Join(errs...)
}

// Validate checks the timeout feature.
func (t *Timeout) Validate() error {
	var errs []error
	if !(t.Seconds > 0) {
		errs = append(errs, fmt.Errorf("seconds: must be a positive number of seconds (required), got %v", t.Seconds))
	}
	errs = append(errs, validStatus("error_status", t.ErrorStatus))
	return errors.Join(errs...)
}

// Validate checks the monitoring feature.
func (m *Monitoring) Validate() error {
	if !(m.LogThreshold > 0) {
		return fmt.Errorf("log_threshold: must be a positive number of seconds, got %v", m.LogThreshold)
	}
	return nil
}

// Validate checks the limits block.
func (l *Limits) Validate() error {
	var errs []error
	pos := func(key string, v float64) {
		if !(v > 0) {
			errs = append(errs, fmt.Errorf("%s: must be a positive number, got %v", key, v))
		}
	}
	pos("read_timeout", l.ReadTimeout)
	pos("write_timeout", l.WriteTimeout)
	pos("idle_timeout", l.IdleTimeout)
	pos("max_header_bytes", float64(l.MaxHeaderBytes))
	pos("max_body_bytes", float64(l.MaxBodyBytes))
	pos("max_connections", float64(l.MaxConnections))
	pos("backend_timeout", l.BackendTimeout)
	pos("max_conns_per_backend", float64(l.MaxConnsPerBackend))
	pos("shutdown_grace", l.ShutdownGrace)
	pos("max_limiter_keys", float64(l.MaxLimiterKeys))
	pos("max_buffered_body_bytes", float64(l.MaxBufferedBodyBytes))
	if l.MaxConnectionsPerIP < 0 {
		errs = append(errs, fmt.Errorf("max_connections_per_ip: must not be negative (0: no cap), got %d", l.MaxConnectionsPerIP))
	}
	if !(l.LameDuck >= 0) {
		errs = append(errs, fmt.Errorf("lame_duck: must be 0 or a positive number of seconds, got %v", l.LameDuck))
	}
	if !(l.BackendQueueTimeout >= 0) {
		errs = append(errs, fmt.Errorf("backend_queue_timeout: must be 0 or a positive number of seconds, got %v", l.BackendQueueTimeout))
	}
	if l.MaxHeaderBytes > 0 && l.MaxHeaderBytes < 1024 {
		errs = append(errs, fmt.Errorf("max_header_bytes: must be at least 1024, got %d", l.MaxHeaderBytes))
	}
	return errors.Join(errs...)
}

// Validate checks the redis block.
func (r *RedisConfig) Validate() error {
	var errs []error
	u, err := url.Parse(r.URL)
	if r.URL == "" {
		errs = append(errs, errors.New("url: required (e.g. redis://127.0.0.1:6379/0)"))
	} else if err != nil {
		// url.Parse's error quotes the whole URL, password included.
		errs = append(errs, errors.New("url: malformed Redis URL (want redis://host:port/db)"))
	} else if (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		errs = append(errs, fmt.Errorf("url: malformed Redis URL %q (want redis://host:port/db)", redact.URL(r.URL)))
	}
	if !(r.Timeout > 0) {
		errs = append(errs, fmt.Errorf("timeout: must be a positive number of seconds, got %v", r.Timeout))
	}
	return errors.Join(errs...)
}

// Validate checks the dashboard block.
func (d *Dashboard) Validate() error {
	p := d.Prefix
	if !strings.HasPrefix(p, "/") || len(p) < 2 || strings.HasSuffix(p, "/") ||
		strings.ContainsAny(p, "%?#*[]{}\\ ") || strings.Contains(p, "//") ||
		strings.Contains(p, "/./") || strings.Contains(p, "/../") {
		return fmt.Errorf("prefix: must be a plain absolute path like /__premier, got %q", p)
	}
	var errs []error
	for _, h := range d.Hosts {
		if !validHostName(h) {
			errs = append(errs, fmt.Errorf("hosts: %q is not a host name: write the name alone, like admin.example.com (no scheme, port, path or wildcard; any port matches)", h))
		}
	}
	return errors.Join(errs...)
}

func validStatus(key string, code int) error {
	if code < 100 || code > 599 {
		return fmt.Errorf("%s: %d is not an HTTP status (100-599)", key, code)
	}
	return nil
}

// validHostName reports whether a dashboard.hosts entry is a host name
// (letters, digits and hyphens in dot-separated labels of at most 63
// characters, 253 in all, an optional trailing dot) or an IP address (an
// IPv6 one with or without brackets). A port, a scheme, a path or a
// wildcard is not a host name. (The gateway compares entries with a
// request's Host in internal/adminauth.HostAllowed.)
func validHostName(n string) bool {
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(n, "["), "]")); err == nil {
		return a.Zone() == ""
	}
	return route.ValidDNSName(n)
}
