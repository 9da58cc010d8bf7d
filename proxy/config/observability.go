package config

import (
	"fmt"
	"strings"
)

// RequestID is the top-level `request_id` block: the header that carries
// each request's ID to the backend and back to the client.
type RequestID struct {
	// Enabled keeps a well-formed incoming ID or mints one, and sends it
	// both ways. Default true.
	Enabled bool `yaml:"enabled"`
	// Header is the request and response header carrying the ID.
	// Default "X-Request-ID".
	Header string `yaml:"header"`
}

// Defaults fills the defaults into a zero RequestID before it is decoded.
func (r *RequestID) Defaults() {
	r.Enabled = true
	r.Header = "X-Request-ID"
}

// Validate checks the request_id block.
func (r *RequestID) Validate() error {
	if !validToken(r.Header) {
		return fmt.Errorf("header: %q is not a header name", r.Header)
	}
	return nil
}

// validToken accepts an RFC 9110 token (a header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
