package auth

import (
	"time"

	"github.com/valyala/fasthttp"
)

// Method names the method that decided a request.
type Method uint8

// Methods, in the fixed order they are tried.
const (
	MethodNone    Method = iota // no auth on the rule, or no method decided
	MethodAPIKey                // api_keys
	MethodBasic                 // basic
	MethodJWT                   // jwt
	MethodForward               // forward
)

// Result is what one method made of a request.
type Result uint8

// Results. Every one but NoCredentials decides the request.
const (
	// NoCredentials: the request carries no credentials of this method's
	// kind; the next method is asked.
	NoCredentials Result = iota
	// Admitted: valid credentials; State.Identity names the consumer.
	Admitted
	// Refused: credentials of this kind that are not valid (401).
	Refused
	// Forbidden: valid credentials the rule does not allow (403).
	Forbidden
	// Throttled: too many failed attempts from the client; the credentials
	// were not checked (429, State.RetryAfter).
	Throttled
	// Relayed: the auth service refused; its answer (State.Answer) goes to
	// the client as it is.
	Relayed
	// Unavailable: the auth service could not be asked (down, timed out,
	// its breaker open, a 5xx): the request is refused (503), never let
	// through.
	Unavailable
)

// Claims is a read-only view of a verified token's claims, filled by token
// methods (nil for api_keys and basic). It must not allocate per call: it
// is read on the request path for {jwt.CLAIM} placeholders.
type Claims interface {
	// Claim returns the claim's value as text, and whether the token has it.
	Claim(name string) ([]byte, bool)
}

// Identity is who a request comes from, as the method that admitted it
// says. Consumer is a string the compiled config owns (the key's name, the
// htpasswd user) or the verified-token cache does (a token's sub), so
// keeping it per request costs no allocation.
type Identity struct {
	Consumer string
	Method   Method
	Claims   Claims
}

// State is one request's authentication scratch, part of the request
// path's pooled per-request memory. The caller resets it (Reset) and fills
// URI and, when Auth.NeedsClient, Client before asking the methods.
type State struct {
	Identity Identity
	// URI is the request target as it will be forwarded (path and
	// ?query). A method reading a credential from the query removes it
	// here, in place; the caller forwards the shortened target.
	URI []byte
	// Client is the client's address key (for the failure throttle).
	Client []byte
	// Now is the request's start as the caller read it (zero: a method
	// reads the clock itself), so a method need not read it again.
	Now time.Time
	// RetryAfter is the wait in seconds that comes with Throttled.
	RetryAfter int
	// Answer is the auth service's refusal that comes with Relayed; the
	// request path writes it to the client and releases it
	// (fasthttp.ReleaseResponse).
	Answer *fasthttp.Response
	// buf holds decoded credentials (a query value, Basic's base64).
	buf []byte
}

// Reset forgets the previous request's identity.
func (s *State) Reset() {
	s.Identity = Identity{}
	s.RetryAfter = 0
}
