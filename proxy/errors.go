package proxy

import (
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"
)

// answer is a sentinel's status and its JSON body, serialised once.
type answer struct {
	status int
	body   []byte
}

// answers is the one table from the request path's sentinel errors to
// what the client gets; sentinel fills it as each error is declared.
var answers = map[error]answer{}

func sentinel(msg string, status int) error {
	err := errors.New(msg)
	answers[err] = answer{status, jsonError(msg)}
	return err
}

// Sentinel errors of the request path, each with its status.
var (
	ErrBadRequest   = sentinel("malformed request", fasthttp.StatusBadRequest)
	ErrNoRoute      = sentinel("no route for this path", fasthttp.StatusNotFound)
	ErrNotFound     = sentinel("not found", fasthttp.StatusNotFound)
	ErrBodyTooLarge = sentinel("request body too large", fasthttp.StatusRequestEntityTooLarge)
	// ErrHeadersTooLarge: the head is over limits.max_header_bytes, or has
	// more than maxHeaderCount fields.
	ErrHeadersTooLarge = sentinel("request headers too large", fasthttp.StatusRequestHeaderFieldsTooLarge)
	ErrNoBackend       = sentinel("no healthy backend available", fasthttp.StatusServiceUnavailable)
	ErrUnavailable     = sentinel("service unavailable", fasthttp.StatusServiceUnavailable)
	ErrBadGateway      = sentinel("bad gateway: the backend failed to answer", fasthttp.StatusBadGateway)
	ErrTimeout         = sentinel("gateway timeout", fasthttp.StatusGatewayTimeout)
	ErrInternal        = sentinel("internal gateway error", fasthttp.StatusInternalServerError)
	ErrVersion         = sentinel("HTTP version not supported", fasthttp.StatusHTTPVersionNotSupported)
	ErrExpectation     = sentinel("unsupported expectation", fasthttp.StatusExpectationFailed)
	// ErrClientTimeout: the client did not send its request within read_timeout.
	ErrClientTimeout = sentinel("request not received in time", fasthttp.StatusRequestTimeout)
	// ErrTooManyConnections: the client address holds max_connections_per_ip.
	ErrTooManyConnections = sentinel("too many connections from this address", fasthttp.StatusTooManyRequests)
	// ErrForbidden: the rule's ip_filter refuses the client address, its
	// cors refuses a preflight's Origin or announced method, or its auth
	// finds valid credentials the rule does not allow.
	ErrForbidden = sentinel("forbidden", fasthttp.StatusForbidden)
	// ErrOriginNotAllowed: a WebSocket upgrade from an Origin the rule's
	// allowed_origins does not list.
	ErrOriginNotAllowed = sentinel("origin not allowed", fasthttp.StatusForbidden)
	// ErrTooManyWebSockets: the rule's or the gateway's cap on relayed
	// WebSocket connections is reached.
	ErrTooManyWebSockets = sentinel("too many WebSocket connections", fasthttp.StatusServiceUnavailable)
	// ErrUnauthorized: the rule's auth found no valid credentials; the
	// answer carries a WWW-Authenticate challenge per method.
	ErrUnauthorized = sentinel("unauthorized", fasthttp.StatusUnauthorized)
	// ErrAuthThrottled: the client failed the rule's Basic auth too often
	// lately; its credentials are not checked until Retry-After.
	ErrAuthThrottled = sentinel("too many failed authentication attempts", fasthttp.StatusTooManyRequests)
	// ErrAuthUnavailable: the rule's forward auth could not ask its auth
	// service (down, timed out, a 5xx, its breaker open); the request is
	// refused, never let through.
	ErrAuthUnavailable = sentinel("authentication service unavailable", fasthttp.StatusServiceUnavailable)
	// ErrRewrite: the rule's rewrite made a path that is not a valid
	// request path (a value holding "%2F"...) or lies under the reserved
	// prefix; nothing is sent to a backend.
	ErrRewrite = sentinel("malformed request: the rewritten path is not valid", fasthttp.StatusBadRequest)
)

// answerFor is err's answer: its own, a wrapped sentinel's, or a 500.
func answerFor(err error) answer {
	if a, ok := answers[err]; ok {
		return a
	}
	for e, a := range answers {
		if errors.Is(err, e) {
			return a
		}
	}
	return answers[ErrInternal]
}

// jsonError returns {"error": msg} as valid JSON whatever msg holds.
func jsonError(msg string) []byte {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	return b
}

// writeError replaces the response with a sentinel's status and JSON body.
// A 400 also closes the connection: a client that sent a malformed request
// or path cannot be trusted to frame the next one the way the gateway reads
// it, and the docs promise the close.
func writeError(ctx *fasthttp.RequestCtx, err error) {
	a := answerFor(err)
	writeJSON(ctx, a.status, a.body)
	if a.status == fasthttp.StatusBadRequest {
		ctx.SetConnectionClose()
	}
}

// writeJSON replaces the response with status and a JSON body.
func writeJSON(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes(contentTypeJSON)
	ctx.Response.SetBody(body)
}

var contentTypeJSON = []byte("application/json")
