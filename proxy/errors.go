package proxy

import (
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"
)

// Sentinel errors of the request path. statusFor maps each to its status in
// one place; their JSON bodies are serialised once.
var (
	ErrBadRequest   = errors.New("malformed request")
	ErrNoRoute      = errors.New("no route for this path")
	ErrBodyTooLarge = errors.New("request body too large")
	// ErrHeadersTooLarge: the head is over limits.max_header_bytes, or has
	// more than maxHeaderCount fields.
	ErrHeadersTooLarge = errors.New("request headers too large")
	ErrNoBackend       = errors.New("no healthy backend available")
	ErrBadGateway      = errors.New("bad gateway: the backend failed to answer")
	ErrTimeout         = errors.New("gateway timeout")
	ErrInternal        = errors.New("internal gateway error")
	ErrNotFound        = errors.New("not found")
	ErrUnavailable     = errors.New("service unavailable")
	ErrVersion         = errors.New("HTTP version not supported")
	ErrExpectation     = errors.New("unsupported expectation")
	// ErrClientTimeout: the client did not send its request within read_timeout.
	ErrClientTimeout = errors.New("request not received in time")
	// ErrTooManyConnections: the client address holds max_connections_per_ip.
	ErrTooManyConnections = errors.New("too many connections from this address")
)

func statusFor(err error) int {
	switch {
	case errors.Is(err, ErrBadRequest):
		return fasthttp.StatusBadRequest
	case errors.Is(err, ErrNoRoute), errors.Is(err, ErrNotFound):
		return fasthttp.StatusNotFound
	case errors.Is(err, ErrBodyTooLarge):
		return fasthttp.StatusRequestEntityTooLarge
	case errors.Is(err, ErrHeadersTooLarge):
		return fasthttp.StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, ErrNoBackend), errors.Is(err, ErrUnavailable):
		return fasthttp.StatusServiceUnavailable
	case errors.Is(err, ErrBadGateway):
		return fasthttp.StatusBadGateway
	case errors.Is(err, ErrTimeout):
		return fasthttp.StatusGatewayTimeout
	case errors.Is(err, ErrVersion):
		return fasthttp.StatusHTTPVersionNotSupported
	case errors.Is(err, ErrExpectation):
		return fasthttp.StatusExpectationFailed
	case errors.Is(err, ErrClientTimeout):
		return fasthttp.StatusRequestTimeout
	case errors.Is(err, ErrTooManyConnections):
		return fasthttp.StatusTooManyRequests
	default:
		return fasthttp.StatusInternalServerError
	}
}

// errorBodies holds the JSON body of each sentinel, serialised once.
var errorBodies = map[error][]byte{}

func init() {
	for _, e := range []error{ErrBadRequest, ErrNoRoute, ErrBodyTooLarge, ErrNoBackend,
		ErrBadGateway, ErrTimeout, ErrInternal, ErrNotFound, ErrUnavailable, ErrVersion, ErrExpectation, ErrHeadersTooLarge, ErrClientTimeout,
		ErrTooManyConnections} {
		errorBodies[e] = jsonError(e.Error())
	}
}

// jsonError returns {"error": msg} as valid JSON whatever msg holds.
func jsonError(msg string) []byte {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	return b
}

// writeError replaces the response with a sentinel's status and JSON body.
func writeError(ctx *fasthttp.RequestCtx, err error) {
	body, ok := errorBodies[err]
	if !ok {
		body = errorBodies[ErrInternal]
	}
	writeJSON(ctx, statusFor(err), body)
}

// writeJSON replaces the response with status and a JSON body.
func writeJSON(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes(contentTypeJSON)
	ctx.Response.SetBody(body)
}

var contentTypeJSON = []byte("application/json")
