package auth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
)

// Config is a rule's `auth` feature: the methods it accepts, tried in the
// fixed order api_keys, basic, jwt, forward. At least one is required.
type Config struct {
	// APIKeys accepts keys from a header or a query parameter. Default: off.
	APIKeys *APIKeysConfig `yaml:"api_keys"`
	// Basic accepts HTTP Basic credentials checked against an htpasswd
	// file of bcrypt entries. Default: off.
	Basic *BasicConfig `yaml:"basic"`
	// JWT accepts `Authorization: Bearer` JSON Web Tokens. Default: off.
	JWT *JWTConfig `yaml:"jwt"`
	// Forward asks an auth service about requests no earlier method found
	// credentials in. Default: off.
	Forward *ForwardConfig `yaml:"forward"`
}

// APIKeysConfig is `auth.api_keys`.
type APIKeysConfig struct {
	// Header is the request header carrying the key; "" reads no header.
	// Default "X-API-Key".
	Header string `yaml:"header"`
	// Query is the query parameter carrying the key; "" (the default)
	// reads none. The parameter is removed from the request before
	// anything else sees it: the backend, the cache and rate-limit keys,
	// the dashboard.
	Query string `yaml:"query"`
	// Keys are the accepted keys, by the SHA-256 of the key. Default: none.
	Keys []APIKey `yaml:"keys"`
	// KeysFile is a file of more keys, one `name:sha256hex` a line ('#'
	// starts a comment), reread on every config reload. A path relative
	// to the gateway's working directory. Default "" (none).
	KeysFile string `yaml:"keys_file"`
}

// APIKey is one accepted key.
type APIKey struct {
	// Name is the consumer the key stands for; keys sharing a name are one
	// consumer (one rate-limit quota under {consumer}). Required.
	Name string `yaml:"name"`
	// SHA256 is the hex SHA-256 of the key (`printf %s KEY | sha256sum`).
	// Required.
	SHA256 string `yaml:"sha256"`
}

// BasicConfig is `auth.basic`.
type BasicConfig struct {
	// Realm is named in the WWW-Authenticate challenge. Default "premier".
	Realm string `yaml:"realm"`
	// UsersFile is an htpasswd file of bcrypt entries (`htpasswd -B`),
	// reread on every config reload; any other hash refuses the config. A
	// path relative to the gateway's working directory. Required.
	UsersFile string `yaml:"users_file"`
}

// Defaults fills the defaults into a zero APIKeysConfig before it is decoded.
func (c *APIKeysConfig) Defaults() { c.Header = "X-API-Key" }

// Defaults fills the defaults into a zero BasicConfig before it is decoded.
func (c *BasicConfig) Defaults() { c.Realm = "premier" }

// Validate checks the auth block as written (the files are read by New).
func (c *Config) Validate() error {
	if c.APIKeys == nil && c.Basic == nil && c.JWT == nil && c.Forward == nil {
		return errors.New("auth: needs at least one method (api_keys, basic, jwt or forward)")
	}
	return nil
}

// Validate checks api_keys as written; each error starts with its key.
func (c *APIKeysConfig) Validate() error {
	var errs []error
	if c.Header == "" && c.Query == "" {
		errs = append(errs, errors.New("header: api_keys needs a header or a query parameter to read the key from"))
	}
	if c.Header != "" && !ascii.IsToken(c.Header) {
		errs = append(errs, fmt.Errorf("header: %q is not a valid header name", c.Header))
	}
	if c.Query != "" && strings.ContainsAny(c.Query, "&=#?% +") {
		errs = append(errs, fmt.Errorf("query: %q is not a plain parameter name (no &, =, #, ?, %%, + or space)", c.Query))
	}
	if len(c.Keys) == 0 && c.KeysFile == "" {
		errs = append(errs, errors.New("keys: api_keys needs keys or a keys_file"))
	}
	for i, k := range c.Keys {
		if err := checkName(k.Name); err != nil {
			errs = append(errs, fmt.Errorf("keys: entry %d: name: %v", i+1, err))
		}
		if _, err := parseHash(k.SHA256); err != nil {
			errs = append(errs, fmt.Errorf("keys: entry %d (%q): sha256: %v", i+1, k.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Validate checks basic as written.
func (c *BasicConfig) Validate() error {
	var errs []error
	if c.UsersFile == "" {
		errs = append(errs, errors.New("users_file: required (an htpasswd file with bcrypt entries)"))
	}
	if c.Realm == "" || strings.ContainsFunc(c.Realm, func(r rune) bool { return r < 0x20 || r >= 0x7f || r == '"' || r == '\\' }) {
		errs = append(errs, fmt.Errorf("realm: %q must be non-empty printable ASCII without '\"' or '\\'", c.Realm))
	}
	return errors.Join(errs...)
}

// maxNameLen bounds a consumer name: it is copied into keys, headers and
// the dashboard's fixed-size tables.
const maxNameLen = 64

// checkName accepts a consumer name: 1 to 64 visible ASCII characters
// without ':' (it goes into the X-Consumer header and htpasswd's format).
func checkName(n string) error {
	if n == "" {
		return errors.New("required")
	}
	if len(n) > maxNameLen {
		return fmt.Errorf("%q is longer than %d bytes", n, maxNameLen)
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return fmt.Errorf("%q: only visible ASCII without ':' is allowed", n)
		}
	}
	return nil
}

// parseHash reads a hex SHA-256 (either case).
func parseHash(s string) (h [32]byte, err error) {
	if len(s) != 64 {
		return h, fmt.Errorf("want 64 hex digits (a SHA-256), got %d characters", len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, errors.New("not hexadecimal")
	}
	return h, nil
}
