package auth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
)

// ForwardConfig is `auth.forward`: an auth service asked about every
// request that no earlier method found credentials in. The request path
// runs the subrequest (it owns the HTTP client and the breaker); this is
// its data.
type ForwardConfig struct {
	// URL is the auth service's endpoint, http(s). Required.
	URL string `yaml:"url"`
	// CopyHeaders are headers of the auth service's 2xx answer copied to
	// the backend request; the client's own copies are always removed.
	// Default: none.
	CopyHeaders []string `yaml:"copy_headers"`
	// Timeout is how long, in seconds, the auth service may take to
	// answer; past it the request is refused with 503. Default 1.
	Timeout float64 `yaml:"timeout"`
}

// Defaults fills the defaults into a zero ForwardConfig before it is decoded.
func (c *ForwardConfig) Defaults() { c.Timeout = 1 }

// Validate checks forward as written.
func (c *ForwardConfig) Validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	if c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("url: %q is not an http(s) URL without user info or fragment", c.URL))
	}
	if !(c.Timeout > 0 && c.Timeout <= 60) {
		errs = append(errs, fmt.Errorf("timeout: %v must be above 0 and at most 60 seconds", c.Timeout))
	}
	for _, h := range c.CopyHeaders {
		if !ascii.IsToken(h) {
			errs = append(errs, fmt.Errorf("copy_headers: %q is not a valid header name", h))
		}
		if gatewayHeader(h) {
			errs = append(errs, fmt.Errorf("copy_headers: %s is the gateway's own header", h))
		}
	}
	return errors.Join(errs...)
}

// gatewayHeader names the headers neither claims nor an auth service may
// set on the backend request: the gateway's identity header and the ones
// that route or frame the request.
func gatewayHeader(h string) bool {
	for _, g := range []string{"X-Consumer", "Authorization", "Host", "Content-Length", "Transfer-Encoding", "Connection"} {
		if strings.EqualFold(h, g) {
			return true
		}
	}
	return false
}
