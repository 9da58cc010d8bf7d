package auth

import (
	"bytes"
	"slices"
)

// Auth is one rule's compiled `auth` feature: its methods (nil when not
// configured), in the order the request path must try them.
type Auth struct {
	APIKeys *APIKeys
	Basic   *Basic
	JWT     *JWT
	// Forward is forward's config: the request path builds its client.
	Forward *ForwardConfig

	claimHeaders []ClaimHeader
	challenges   []string
	files        []string
}

// New compiles c, reading the files it names. A file that cannot be read
// or holds a bad entry is an error naming the field, the file and the line.
func New(c *Config) (*Auth, error) {
	a := &Auth{}
	if c.APIKeys != nil {
		k, err := newAPIKeys(c.APIKeys)
		if err != nil {
			return nil, err
		}
		a.APIKeys = k
		a.challenges = append(a.challenges, k.Challenge())
		if c.APIKeys.KeysFile != "" {
			a.files = append(a.files, c.APIKeys.KeysFile)
		}
	}
	if c.Basic != nil {
		b, err := newBasic(c.Basic)
		if err != nil {
			return nil, err
		}
		a.Basic = b
		a.challenges = append(a.challenges, b.Challenge())
		a.files = append(a.files, c.Basic.UsersFile)
	}
	if c.JWT != nil {
		j, err := newJWT(c.JWT)
		if err != nil {
			return nil, err
		}
		a.JWT = j
		if !slices.Contains(a.challenges, j.Challenge()) {
			a.challenges = append(a.challenges, j.Challenge())
		}
		if c.JWT.KeyFile != "" {
			a.files = append(a.files, c.JWT.KeyFile)
		}
		for h, claim := range c.JWT.ClaimsToHeaders {
			a.claimHeaders = append(a.claimHeaders, ClaimHeader{Header: []byte(h), Claim: claim})
		}
		slices.SortFunc(a.claimHeaders, func(x, y ClaimHeader) int { return bytes.Compare(x.Header, y.Header) })
	}
	if c.Forward != nil {
		a.Forward = c.Forward
		for _, h := range c.Forward.CopyHeaders {
			a.claimHeaders = append(a.claimHeaders, ClaimHeader{Header: []byte(h)})
		}
	}
	return a, nil
}

// ClaimHeader is one jwt.claims_to_headers entry (the backend request
// header Header gets the admitted token's claim Claim) or one
// forward.copy_headers entry (Claim ""; the auth service sets it).
type ClaimHeader struct {
	Header []byte
	Claim  string
}

// ClaimHeaders are the rule's claims_to_headers entries, by header name,
// then its forward.copy_headers. The request path removes the client's copies of these headers from
// every request of the rule, whichever method admits it, and sets them
// from a token's claims.
func (a *Auth) ClaimHeaders() []ClaimHeader { return a.claimHeaders }

// Challenges are the WWW-Authenticate values of a 401 from this rule: one
// per configured method, in method order, so a client learns every way in.
func (a *Auth) Challenges() []string { return a.challenges }

// Files are the files the methods were read from: a change to one is a
// reason to reload the config.
func (a *Auth) Files() []string { return a.files }

// NeedsClient reports whether a method uses State.Client (Basic's failure
// throttle), so the caller computes the client's address only then.
func (a *Auth) NeedsClient() bool { return a.Basic != nil }
