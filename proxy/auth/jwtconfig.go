package auth

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
)

// JWTConfig is `auth.jwt`.
type JWTConfig struct {
	// Secret is the HMAC key of HS256/384/512 tokens, at least 32 bytes
	// (write it as "${ENV_VAR}"). Default "" (no HMAC tokens).
	Secret string `yaml:"secret"`
	// JWKSURL is a JSON Web Key Set fetched over HTTP(S) for RS/PS/ES/EdDSA
	// tokens: on the first token, again on a token whose `kid` it does not
	// hold (at most once per jwksRefetchEvery), and on every config reload.
	// Default "" (none).
	JWKSURL string `yaml:"jwks_url"`
	// KeyFile is a PEM public key (or certificate) or a JWKS file for
	// RS/PS/ES/EdDSA tokens, read when the config loads. Default "" (none).
	KeyFile string `yaml:"key_file"`
	// Issuer, when set, must equal the token's `iss`. Default "" (any).
	Issuer string `yaml:"issuer"`
	// Audience, when set, must be one of the token's `aud`. Default "" (any).
	Audience string `yaml:"audience"`
	// Algorithms are the accepted `alg` values; any other (`none` always)
	// is refused. Default: HS256, HS384, HS512 with a secret, and the
	// RS/PS/ES/EdDSA family with a key source.
	Algorithms []string `yaml:"algorithms"`
	// Leeway is the clock skew, in seconds, allowed on `exp` and `nbf`.
	// Default 30.
	Leeway float64 `yaml:"leeway"`
	// ClaimsToHeaders sets backend request headers from claims (header →
	// claim). The client's own copies of these headers are always removed.
	// Default: none.
	ClaimsToHeaders ClaimHeaderMap `yaml:"claims_to_headers"`
}

// ClaimHeaderMap is claims_to_headers: backend header name → claim name.
type ClaimHeaderMap map[string]string

// UnmarshalYAML reads the mapping (the config decoder reads structs, not
// maps, itself).
func (m *ClaimHeaderMap) UnmarshalYAML(unmarshal func(any) error) error {
	var v map[string]string
	if err := unmarshal(&v); err != nil {
		return fmt.Errorf("claims_to_headers: want a mapping of header names to claim names: %v", err)
	}
	*m = v
	return nil
}

// Algorithm families: HMAC ones need the secret, the others a public key
// of their kind.
var (
	hmacAlgs       = []string{"HS256", "HS384", "HS512"}
	asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

// minSecretLen is the shortest HMAC secret accepted: a shorter one can be
// brute-forced from one token offline.
const minSecretLen = 32

// Defaults fills the defaults into a zero JWTConfig before it is decoded.
func (c *JWTConfig) Defaults() { c.Leeway = 30 }

// algorithms is the accepted list, the default filled in.
func (c *JWTConfig) algorithms() []string {
	if len(c.Algorithms) > 0 {
		return c.Algorithms
	}
	var a []string
	if c.Secret != "" {
		a = append(a, hmacAlgs...)
	}
	if c.JWKSURL != "" || c.KeyFile != "" {
		a = append(a, asymmetricAlgs...)
	}
	return a
}

// Validate checks jwt as written (the key file is read by New).
func (c *JWTConfig) Validate() error {
	var errs []error
	keys := c.JWKSURL != "" || c.KeyFile != ""
	if c.Secret == "" && !keys {
		errs = append(errs, errors.New("jwt needs a secret (HS*), a jwks_url or a key_file (RS/PS/ES/EdDSA)"))
	}
	if c.JWKSURL != "" && c.KeyFile != "" {
		errs = append(errs, errors.New("jwks_url: give jwks_url or key_file, not both"))
	}
	if c.Secret != "" && len(c.Secret) < minSecretLen {
		errs = append(errs, fmt.Errorf("secret: %d bytes is too short for HMAC; use at least %d random bytes", len(c.Secret), minSecretLen))
	}
	if c.JWKSURL != "" {
		if u, err := url.Parse(c.JWKSURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("jwks_url: %q is not an http(s) URL", c.JWKSURL))
		}
	}
	for _, a := range c.Algorithms {
		switch {
		case slices.Contains(hmacAlgs, a):
			if c.Secret == "" {
				errs = append(errs, fmt.Errorf("algorithms: %s needs a secret", a))
			}
		case slices.Contains(asymmetricAlgs, a):
			if !keys {
				errs = append(errs, fmt.Errorf("algorithms: %s needs a jwks_url or a key_file", a))
			}
		default:
			errs = append(errs, fmt.Errorf("algorithms: %q is not one of %s", a, strings.Join(append(slices.Clone(hmacAlgs), asymmetricAlgs...), ", ")))
		}
	}
	if len(c.Algorithms) == 0 && len(c.algorithms()) == 0 {
		errs = append(errs, errors.New("algorithms: none usable"))
	}
	if c.Leeway < 0 || c.Leeway > 300 {
		errs = append(errs, fmt.Errorf("leeway: %v must be between 0 and 300 seconds", c.Leeway))
	}
	for h, claim := range c.ClaimsToHeaders {
		if !ascii.IsToken(h) {
			errs = append(errs, fmt.Errorf("claims_to_headers: %q is not a valid header name", h))
		}
		if claim == "" {
			errs = append(errs, fmt.Errorf("claims_to_headers: %s: the claim name is empty", h))
		}
		if gatewayHeader(h) {
			errs = append(errs, fmt.Errorf("claims_to_headers: %s is the gateway's own header", h))
		}
	}
	return errors.Join(errs...)
}
