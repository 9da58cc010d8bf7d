package tracing

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
)

// Config is the top-level `tracing:` block. Tracing context (traceparent,
// tracestate) is propagated whatever it says; spans are exported only
// when OTLPEndpoint is set.
type Config struct {
	// OTLPEndpoint is the OTLP/HTTP collector URL spans are posted to
	// (protobuf), e.g. http://collector:4318; a URL without a path gets
	// the standard /v1/traces. Default "": no spans are recorded.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// SampleRatio is the share of new traces recorded (0 to 1), for
	// requests without a valid traceparent; one with a traceparent follows
	// its caller's sampled flag. Default 1.
	SampleRatio float64 `yaml:"sample_ratio"`
	// ServiceName is the service.name resource attribute of the spans.
	// Default "premier".
	ServiceName string `yaml:"service_name"`
	// Headers are sent with every export request (a collector's API key).
	// Default: none.
	Headers map[string]string `yaml:"headers"`
}

// Defaults fills the defaults in before the block is decoded.
func (c *Config) Defaults() {
	c.SampleRatio = 1
	c.ServiceName = "premier"
}

// Enabled reports whether spans are exported.
func (c *Config) Enabled() bool { return c != nil && c.OTLPEndpoint != "" }

// Validate reports every problem, each prefixed with its key.
func (c *Config) Validate() error {
	var errs []error
	if c.OTLPEndpoint != "" {
		if _, err := endpointURL(c.OTLPEndpoint); err != nil {
			errs = append(errs, fmt.Errorf("otlp_endpoint: %w", err))
		}
	}
	if !(c.SampleRatio >= 0 && c.SampleRatio <= 1) { // NaN too
		errs = append(errs, errors.New("sample_ratio: must be between 0 and 1"))
	}
	if strings.TrimSpace(c.ServiceName) == "" {
		errs = append(errs, errors.New("service_name: must not be empty"))
	}
	for k, v := range c.Headers {
		if !ascii.IsToken(k) {
			errs = append(errs, fmt.Errorf("headers: %q is not a valid header name", k))
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			errs = append(errs, fmt.Errorf("headers: the value of %q holds a line break or NUL", k))
		}
	}
	return errors.Join(errs...)
}

// endpointURL is the export URL of an otlp_endpoint: http or https with a
// host, /v1/traces when it names no path.
func endpointURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("want an http:// or https:// URL with a host, e.g. http://collector:4318")
	}
	if u.User != nil {
		return "", errors.New("credentials go in headers, not in the URL")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}
