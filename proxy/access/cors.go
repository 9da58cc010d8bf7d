package access

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
)

// CORSConfig is the `cors` feature: the gateway answers a rule's CORS
// preflights itself and adds the Access-Control-* headers to every answer
// of the rule, its own refusals included.
type CORSConfig struct {
	// AllowOrigins lists the origins served: exact ("https://app.example.com",
	// compared case-insensitively), one-label wildcards
	// ("https://*.example.com": app.example.com, not a.b.example.com nor
	// example.com) or "*" (any origin, answered with a literal "*").
	// Required.
	AllowOrigins []string `yaml:"allow_origins"`
	// AllowMethods are the methods a preflight may announce, sent back in
	// Access-Control-Allow-Methods; "*" allows any (not with
	// allow_credentials). Default [GET, HEAD, POST].
	AllowMethods []string `yaml:"allow_methods"`
	// AllowHeaders are sent in Access-Control-Allow-Headers on preflights:
	// the request headers a page may send beyond the CORS-safelisted ones;
	// "*" allows any (not with allow_credentials). Default: none.
	AllowHeaders []string `yaml:"allow_headers"`
	// ExposeHeaders are sent in Access-Control-Expose-Headers on actual
	// answers: the response headers a page may read beyond the safelisted
	// ones. Default: none.
	ExposeHeaders []string `yaml:"expose_headers"`
	// AllowCredentials sends Access-Control-Allow-Credentials: true, so
	// pages may send cookies and Authorization. Not with "*" in
	// allow_origins. Default false.
	AllowCredentials bool `yaml:"allow_credentials"`
	// MaxAge is how long, in seconds, browsers may cache a preflight's
	// answer (Access-Control-Max-Age). 0 sends no header (browsers then
	// keep it 5 seconds). Default 0.
	MaxAge int `yaml:"max_age"`
}

// Defaults fills the defaults into a zero CORSConfig before it is decoded.
func (c *CORSConfig) Defaults() {
	c.AllowMethods = []string{"GET", "HEAD", "POST"}
}

// Validate checks the cors feature; each error names its key.
func (c *CORSConfig) Validate() error {
	var errs []error
	if len(c.AllowOrigins) == 0 {
		errs = append(errs, errors.New("allow_origins: required: list the origins served (e.g. https://app.example.com), or \"*\""))
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			if c.AllowCredentials {
				errs = append(errs, errors.New("allow_origins: \"*\" cannot be combined with allow_credentials: true (browsers refuse a credentialed answer for any origin); list the origins instead"))
			}
			continue
		}
		if _, err := parseOrigin(o); err != nil {
			errs = append(errs, fmt.Errorf("allow_origins: %w", err))
		}
	}
	errs = append(errs, c.validTokens("allow_methods", c.AllowMethods), c.validTokens("allow_headers", c.AllowHeaders),
		c.validTokens("expose_headers", c.ExposeHeaders))
	if c.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("max_age: must not be negative (seconds; 0 sends no header), got %d", c.MaxAge))
	}
	return errors.Join(errs...)
}

// validTokens checks a list of methods or header names: HTTP tokens, or
// "*" without credentials.
func (c *CORSConfig) validTokens(key string, list []string) error {
	var errs []error
	for _, v := range list {
		switch {
		case v == "*" && c.AllowCredentials:
			errs = append(errs, fmt.Errorf("%s: \"*\" is a literal name, not a wildcard, when allow_credentials is true; list the names", key))
		case v != "*" && !ascii.IsToken(v):
			errs = append(errs, fmt.Errorf("%s: %q is not a method or header name", key, v))
		}
	}
	return errors.Join(errs...)
}

// CORS is a compiled CORSConfig: the origin matcher and the header values,
// built once.
type CORS struct {
	anyOrigin   bool
	origins     []originPattern
	anyMethod   bool
	methods     []string
	credentials bool

	allowMethods  []byte
	allowHeaders  []byte
	exposeHeaders []byte
	maxAge        []byte
}

// NewCORS compiles c (validated by the configuration's decoding).
func NewCORS(c *CORSConfig) (*CORS, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p := &CORS{credentials: c.AllowCredentials, methods: c.AllowMethods}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			p.anyOrigin = true
			continue
		}
		op, err := parseOrigin(o)
		if err != nil {
			return nil, err
		}
		p.origins = append(p.origins, op)
	}
	for _, m := range c.AllowMethods {
		p.anyMethod = p.anyMethod || m == "*"
	}
	p.allowMethods = joinList(c.AllowMethods)
	p.allowHeaders = joinList(c.AllowHeaders)
	p.exposeHeaders = joinList(c.ExposeHeaders)
	if c.MaxAge > 0 {
		p.maxAge = strconv.AppendInt(nil, int64(c.MaxAge), 10)
	}
	return p, nil
}

func joinList(l []string) []byte {
	if len(l) == 0 {
		return nil
	}
	return []byte(strings.Join(l, ", "))
}

// OriginAllowed reports whether a request's Origin value is served. An
// empty Origin never is.
func (c *CORS) OriginAllowed(origin []byte) bool {
	if len(origin) == 0 {
		return false
	}
	if c.anyOrigin {
		return true
	}
	scheme, host, port, ok := splitOrigin(origin)
	if !ok {
		return false
	}
	for i := range c.origins {
		if c.origins[i].match(scheme, host, port) {
			return true
		}
	}
	return false
}

// MethodAllowed reports whether a preflight may announce method
// (compared ASCII-case-insensitively).
func (c *CORS) MethodAllowed(method []byte) bool {
	if c.anyMethod {
		return len(method) > 0
	}
	for _, m := range c.methods {
		if len(m) == len(method) && ascii.EqualFold(method, m) {
			return true
		}
	}
	return false
}

// AnyOrigin reports whether "*" is allowed: the answer is then a literal
// "*" and does not depend on the request's Origin.
func (c *CORS) AnyOrigin() bool { return c.anyOrigin }

// VariesByOrigin reports whether the rule's answers depend on the
// request's Origin (so they carry Vary: Origin): whenever the origins are
// a list rather than "*".
func (c *CORS) VariesByOrigin() bool { return !c.anyOrigin }

// Credentials reports whether Access-Control-Allow-Credentials: true is sent.
func (c *CORS) Credentials() bool { return c.credentials }

// AllowMethods is the Access-Control-Allow-Methods value.
func (c *CORS) AllowMethods() []byte { return c.allowMethods }

// AllowHeaders is the Access-Control-Allow-Headers value (nil: not sent).
func (c *CORS) AllowHeaders() []byte { return c.allowHeaders }

// ExposeHeaders is the Access-Control-Expose-Headers value (nil: not sent).
func (c *CORS) ExposeHeaders() []byte { return c.exposeHeaders }

// MaxAge is the Access-Control-Max-Age value (nil: not sent).
func (c *CORS) MaxAge() []byte { return c.maxAge }
