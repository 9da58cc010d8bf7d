package proxy

import (
	"encoding/json"
	"errors"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/metrics"
)

// answer is a sentinel's status and its JSON body, serialised once, and
// the counter of its reason in /metrics.
type answer struct {
	status int
	body   []byte
	count  *reasonCount
}

// answers is the one table from the request path's sentinel errors to
// what the client gets; sentinel fills it as each error is declared.
var answers = map[error]answer{}

// reasonCount counts the gateway's own error answers of one reason
// (premier_gateway_responses_total). The counts are the process's: an
// answer is written where no gateway is at hand (the server's error
// handler, the accept loop), and a process runs one gateway.
type reasonCount struct {
	reason string
	n      atomic.Uint64
}

// reasons lists every reason in declaration order.
var reasons []*reasonCount

// newReason declares a reason of the gateway's own answers. Each is
// declared once, at init: /metrics lists them all, zeros included.
func newReason(name string) *reasonCount {
	rc := &reasonCount{reason: name}
	reasons = append(reasons, rc)
	return rc
}

// sentinel declares a request-path error: what the client is told
// (status and {"error": msg}) and the reason it is counted under.
func sentinel(reason, msg string, status int) error {
	err := errors.New(msg)
	answers[err] = answer{status, jsonError(msg), newReason(reason)}
	return err
}

// Reasons of the gateway's own answers that are not sentinels: a rule's
// own rate-limit and timeout answers (status and body from the config).
var (
	reasonRateLimited = newReason("rate_limited")
	reasonRuleTimeout = newReason("rule_timeout")
)

// gatewayAnswers is the counts of every reason, for /metrics.
func gatewayAnswers() []metrics.Answers {
	out := make([]metrics.Answers, len(reasons))
	for i, rc := range reasons {
		out[i] = metrics.Answers{Reason: rc.reason, Count: rc.n.Load()}
	}
	return out
}

// Sentinel errors of the request path, each with its status.
var (
	ErrBadRequest   = sentinel("bad_request", "malformed request", fasthttp.StatusBadRequest)
	ErrNoRoute      = sentinel("no_route", "no route for this path", fasthttp.StatusNotFound)
	ErrNotFound     = sentinel("not_found", "not found", fasthttp.StatusNotFound)
	ErrBodyTooLarge = sentinel("body_too_large", "request body too large", fasthttp.StatusRequestEntityTooLarge)
	// ErrHeadersTooLarge: the head is over limits.max_header_bytes, or has
	// more than maxHeaderCount fields.
	ErrHeadersTooLarge = sentinel("headers_too_large", "request headers too large", fasthttp.StatusRequestHeaderFieldsTooLarge)
	ErrNoBackend       = sentinel("no_backend", "no healthy backend available", fasthttp.StatusServiceUnavailable)
	ErrUnavailable     = sentinel("unavailable", "service unavailable", fasthttp.StatusServiceUnavailable)
	ErrBadGateway      = sentinel("bad_gateway", "bad gateway: the backend failed to answer", fasthttp.StatusBadGateway)
	ErrTimeout         = sentinel("timeout", "gateway timeout", fasthttp.StatusGatewayTimeout)
	ErrInternal        = sentinel("internal", "internal gateway error", fasthttp.StatusInternalServerError)
	ErrVersion         = sentinel("version_not_supported", "HTTP version not supported", fasthttp.StatusHTTPVersionNotSupported)
	ErrExpectation     = sentinel("expectation_failed", "unsupported expectation", fasthttp.StatusExpectationFailed)
	// ErrClientTimeout: the client did not send its request within read_timeout.
	ErrClientTimeout = sentinel("client_timeout", "request not received in time", fasthttp.StatusRequestTimeout)
	// ErrTooManyConnections: the client address holds max_connections_per_ip.
	ErrTooManyConnections = sentinel("too_many_connections", "too many connections from this address", fasthttp.StatusTooManyRequests)
	// ErrForbidden: the rule's ip_filter refuses the client address, its
	// cors refuses a preflight's Origin or announced method, or its auth
	// finds valid credentials the rule does not allow.
	ErrForbidden = sentinel("forbidden", "forbidden", fasthttp.StatusForbidden)
	// ErrOriginNotAllowed: a WebSocket upgrade from an Origin the rule's
	// allowed_origins does not list.
	ErrOriginNotAllowed = sentinel("origin_not_allowed", "origin not allowed", fasthttp.StatusForbidden)
	// ErrTooManyWebSockets: the rule's or the gateway's cap on relayed
	// WebSocket connections is reached.
	ErrTooManyWebSockets = sentinel("too_many_websockets", "too many WebSocket connections", fasthttp.StatusServiceUnavailable)
	// ErrUnauthorized: the rule's auth found no valid credentials; the
	// answer carries a WWW-Authenticate challenge per method.
	ErrUnauthorized = sentinel("unauthorized", "unauthorized", fasthttp.StatusUnauthorized)
	// ErrAuthThrottled: the client failed the rule's Basic auth too often
	// lately; its credentials are not checked until Retry-After.
	ErrAuthThrottled = sentinel("auth_throttled", "too many failed authentication attempts", fasthttp.StatusTooManyRequests)
	// ErrAuthUnavailable: the rule's forward auth could not ask its auth
	// service (down, timed out, a 5xx, its breaker open); the request is
	// refused, never let through.
	ErrAuthUnavailable = sentinel("auth_unavailable", "authentication service unavailable", fasthttp.StatusServiceUnavailable)
	// ErrRewrite: the rule's rewrite made a path that is not a valid
	// request path (a value holding "%2F"...) or lies under the reserved
	// prefix; nothing is sent to a backend.
	ErrRewrite = sentinel("bad_rewrite", "malformed request: the rewritten path is not valid", fasthttp.StatusBadRequest)
	// ErrMethodNotAllowed: a health probe path ({prefix}/healthz,
	// {prefix}/readyz) asked with a method other than GET or HEAD.
	ErrMethodNotAllowed = sentinel("method_not_allowed", "method not allowed", fasthttp.StatusMethodNotAllowed)
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
	a.count.n.Add(1)
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
