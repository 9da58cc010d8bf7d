package acme

import (
	"bytes"
	"net/http"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// ChallengePrefix is the path under which the CA fetches HTTP-01 answers.
const ChallengePrefix = "/.well-known/acme-challenge/"

var challengePrefix = []byte(ChallengePrefix)

// IsHTTPChallenge reports whether a request looks like an HTTP-01
// validation: a GET under ChallengePrefix. It is the cheap check the plain
// listener's request path makes first (no allocation); only a match pays
// for ServeHTTPChallenge.
func IsHTTPChallenge(ctx *fasthttp.RequestCtx) bool {
	return ctx.IsGet() && bytes.HasPrefix(ctx.Path(), challengePrefix)
}

// ServeHTTPChallenge answers an HTTP-01 validation for one of the domains,
// started by this instance or by another one sharing the storage, and
// reports whether it did. The plain listener calls it before routing and
// before redirect_http, so validation works when every other request is
// sent to https. On false nothing was written and the request goes on its
// usual way (a token nobody issued is an ordinary 404 or redirect).
//
// The request is converted to net/http for certmagic's handler; that
// allocates, which is fine for the handful of validations an order makes.
func (m *Manager) ServeHTTPChallenge(ctx *fasthttp.RequestCtx) bool {
	if !IsHTTPChallenge(ctx) || !m.Manages(string(hostOnly(ctx.Host()))) {
		return false
	}
	iss := m.issuer.Load()
	if iss == nil {
		return false
	}
	var r http.Request
	if err := fasthttpadaptor.ConvertRequest(ctx, &r, true); err != nil {
		return false
	}
	w := answer{header: make(http.Header, 1)}
	if !iss.HandleHTTPChallenge(&w, r.WithContext(ctx)) {
		return false
	}
	ctx.Response.Reset()
	ctx.SetStatusCode(w.status())
	for k, vs := range w.header {
		for _, v := range vs {
			ctx.Response.Header.Add(k, v)
		}
	}
	ctx.SetBody(w.body.Bytes())
	// One validation per connection: the CA does not reuse it.
	ctx.SetConnectionClose()
	return true
}

// hostOnly is the Host header without its port.
func hostOnly(h []byte) []byte {
	if i := bytes.LastIndexByte(h, ':'); i >= 0 && !bytes.HasSuffix(h, []byte("]")) {
		h = h[:i]
	}
	return bytes.TrimSuffix(bytes.TrimPrefix(h, []byte("[")), []byte("]"))
}

// answer is the http.ResponseWriter certmagic's handler writes the key
// authorisation into; ServeHTTPChallenge copies it to the fasthttp response
// only when the handler reports it answered.
type answer struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (a *answer) Header() http.Header { return a.header }

func (a *answer) WriteHeader(code int) {
	if a.code == 0 {
		a.code = code
	}
}

func (a *answer) Write(p []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(p)
}

func (a *answer) status() int {
	if a.code == 0 {
		return http.StatusOK
	}
	return a.code
}
