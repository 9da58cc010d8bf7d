package lb

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/premier-gateway/premier/internal/redact"
)

// Balancer algorithm names accepted in Config.Algorithm.
const (
	RoundRobin         = "round_robin"
	WeightedRoundRobin = "weighted_round_robin"
	LeastConn          = "least_conn"
	P2CEWMA            = "p2c_ewma"
	IPHash             = "ip_hash"
)

// Config is the `lb` block, top level or per path.
type Config struct {
	// Algorithm picks the balancer. Default round_robin.
	Algorithm string `yaml:"algorithm"`
	// HealthCheck enables active probes. Default: none (passive checks only).
	HealthCheck *HealthCheck `yaml:"health_check"`
	// PassiveHealth ejects backends that keep failing real requests.
	// Default: on, with DefaultPassiveHealth's settings.
	PassiveHealth *PassiveHealth `yaml:"passive_health"`
	// Pipeline, when above 0, sends bodiless GET requests to each
	// backend pipelined over this many connections (at most MaxPipeline)
	// instead of one request per pooled connection at a time. Default 0: off.
	Pipeline int `yaml:"pipeline"`
}

// MaxPipeline is the most pipelined connections per backend Config accepts.
const MaxPipeline = 64

// Defaults fills the defaults into a zero Config before it is decoded.
func (c *Config) Defaults() { c.Algorithm = RoundRobin }

// Passive is the block's passive health: its own, or the defaults. A nil
// Config (no `lb` block) has the defaults too.
func (c *Config) Passive() PassiveHealth {
	if c == nil || c.PassiveHealth == nil {
		return DefaultPassiveHealth()
	}
	return *c.PassiveHealth
}

// Validate reports every problem, each prefixed by its YAML key.
func (c *Config) Validate() error {
	var errs []error
	switch c.Algorithm {
	case RoundRobin, WeightedRoundRobin, LeastConn, P2CEWMA, IPHash:
	default:
		errs = append(errs, fmt.Errorf("algorithm: unknown balancer %q (want round_robin, weighted_round_robin, least_conn, p2c_ewma or ip_hash)", c.Algorithm))
	}
	if c.Pipeline < 0 || c.Pipeline > MaxPipeline {
		errs = append(errs, fmt.Errorf("pipeline: must be 0 (off) to %d connections, got %d", MaxPipeline, c.Pipeline))
	}
	return errors.Join(errs...)
}

// HealthCheck configures active probes of every backend of a pool.
type HealthCheck struct {
	// Path is the probed path. Default "/".
	Path string `yaml:"path"`
	// Interval is the pause between probes in seconds. Default 5.
	Interval float64 `yaml:"interval"`
	// Timeout bounds one probe in seconds. Default 2.
	Timeout float64 `yaml:"timeout"`
	// HealthyThreshold is the consecutive successes that restore a backend. Default 2.
	HealthyThreshold int `yaml:"healthy_threshold"`
	// UnhealthyThreshold is the consecutive failures that eject a backend. Default 3.
	UnhealthyThreshold int `yaml:"unhealthy_threshold"`
	// ExpectedStatus is the status a healthy backend answers. Default 0: any 2xx or 3xx.
	ExpectedStatus int `yaml:"expected_status"`
}

// Defaults fills the defaults into a zero HealthCheck before it is decoded.
func (h *HealthCheck) Defaults() {
	h.Path = "/"
	h.Interval = 5
	h.Timeout = 2
	h.HealthyThreshold = 2
	h.UnhealthyThreshold = 3
}

// Validate reports every problem, each prefixed by its YAML key.
func (h *HealthCheck) Validate() error {
	var errs []error
	if !strings.HasPrefix(h.Path, "/") {
		errs = append(errs, fmt.Errorf("path: must start with /, got %q", h.Path))
	}
	if !(h.Interval > 0) {
		errs = append(errs, fmt.Errorf("interval: must be a positive number of seconds, got %v", h.Interval))
	}
	if !(h.Timeout > 0) {
		errs = append(errs, fmt.Errorf("timeout: must be a positive number of seconds, got %v", h.Timeout))
	}
	if h.HealthyThreshold <= 0 {
		errs = append(errs, fmt.Errorf("healthy_threshold: must be a positive integer, got %d", h.HealthyThreshold))
	}
	if h.UnhealthyThreshold <= 0 {
		errs = append(errs, fmt.Errorf("unhealthy_threshold: must be a positive integer, got %d", h.UnhealthyThreshold))
	}
	if h.ExpectedStatus != 0 && (h.ExpectedStatus < 100 || h.ExpectedStatus > 599) {
		errs = append(errs, fmt.Errorf("expected_status: %d is not an HTTP status", h.ExpectedStatus))
	}
	return errors.Join(errs...)
}

// Server is one backend entry: `"http://host:port"` or
// `{url: "http://host:port", weight: 3}`.
type Server struct {
	// URL is the backend's base URL: http or https scheme, host and port,
	// and an optional base path (http://app:8080/base: requests go to
	// /base + their path, as nginx's proxy_pass with a URI); no query,
	// fragment or user info. Required.
	URL string `yaml:"url"`
	// Weight is the server's share for weighted_round_robin. Default 1.
	Weight int `yaml:"weight"`
}

// UnmarshalYAML accepts a plain URL string or a {url, weight} mapping.
func (s *Server) UnmarshalYAML(unmarshal func(any) error) error {
	var u string
	if err := unmarshal(&u); err == nil {
		*s = Server{URL: u, Weight: 1}
		return nil
	}
	var m struct {
		URL    string `yaml:"url"`
		Weight *int   `yaml:"weight"`
	}
	if err := unmarshal(&m); err != nil {
		return errors.New("server entry must be a URL string or a mapping {url, weight}")
	}
	*s = Server{URL: m.URL, Weight: 1}
	if m.Weight != nil {
		s.Weight = *m.Weight
	}
	return nil
}

// Validate checks the URL and weight.
func (s *Server) Validate() error {
	var errs []error
	if _, err := ParseURL(s.URL); err != nil {
		errs = append(errs, err)
	}
	if s.Weight <= 0 {
		errs = append(errs, fmt.Errorf("weight: must be a positive integer, got %d", s.Weight))
	}
	return errors.Join(errs...)
}

// Target is a parsed backend address.
type Target struct {
	// Addr is host:port, with the scheme's default port filled in.
	Addr string
	// TLS is true for https.
	TLS bool
	// Base is the URL's path without its trailing '/' ("" for none or
	// "/"): put in front of every request's path. It is not part of the
	// backend's identity: URLs differing only in their path share one
	// backend (its connections, health and statistics).
	Base string
}

// ParseURL parses and checks a backend URL.
func ParseURL(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		// Messages never show user info: a password written in the URL
		// would reach the log, -check and the dashboard.
		return Target{}, fmt.Errorf("url: malformed server URL %q (want http://host:port or https://host:port)", redact.URL(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return Target{}, fmt.Errorf("url: server URL %q must not carry user info, a query or a fragment", redact.URL(raw))
	}
	base := strings.TrimSuffix(u.EscapedPath(), "/")
	if !cleanBase(base) {
		return Target{}, fmt.Errorf("url: server URL %q: the base path must be a plain path like /base (no '.' or '..' segment, no '//', no ';', '\\' or control byte, no %%-escape of '/', '\\', '.' or NUL)", redact.URL(raw))
	}
	host := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			host += ":443"
		} else {
			host += ":80"
		}
	}
	return Target{Addr: host, TLS: u.Scheme == "https", Base: base}, nil
}

// cleanBase reports whether a base path (escaped, without its trailing
// '/') is already in the gateway's normalised form, so base + a normalised
// path is one too: no dot segment, no empty segment, none of the bytes
// normalisation refuses.
func cleanBase(p string) bool {
	if p == "" {
		return true
	}
	if p[0] != '/' {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c == 0x7f || c == ';' || c == '\\' || c == '#' || c == '?' {
			return false
		}
		if c == '%' {
			if i+2 >= len(p) {
				return false
			}
			switch strings.ToUpper(p[i+1 : i+3]) {
			case "2F", "5C", "2E", "00":
				return false
			}
		}
	}
	return true
}
