package proxy

import (
	"net/url"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/auth"
	"github.com/premier-gateway/premier/resilience"
)

// forwardAuth is the compiled auth.forward method: every request that no
// earlier method found credentials in is put to the auth service as a GET
// to its URL carrying the original method and target (X-Forwarded-Method,
// X-Forwarded-Uri, X-Forwarded-Host, X-Forwarded-Proto) and the client's
// Authorization and Cookie headers. The subrequest runs on the request's
// own goroutine through a pooled HostClient, bounded by the timeout.
//
// It fails closed: the auth service down, slow past the timeout, answering
// 5xx or its breaker open → Unavailable (503), never admitted. A 2xx
// admits; anything else (401, 403, a 302 to a login page) is relayed.
type forwardAuth struct {
	hc      *fasthttp.HostClient
	host    string // Host header of the subrequest
	target  string // request target of the subrequest (path?query)
	timeout time.Duration
	copy    [][]byte
	breaker *resilience.Breaker
}

// Bounds of the forward-auth subrequest.
const (
	forwardMaxConns   = 512
	forwardMaxBody    = 64 << 10 // an auth service's answer is small; a larger one fails closed
	forwardBreakerN   = 5        // consecutive failures that open the breaker
	forwardRecoveryS  = 10       // seconds before the breaker lets a probe through
	forwardIdleExpiry = 30 * time.Second
)

func newForwardAuth(c *auth.ForwardConfig) *forwardAuth {
	u, _ := url.Parse(c.URL) // Validate checked it
	addr := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	f := &forwardAuth{
		hc: &fasthttp.HostClient{
			Addr: addr, IsTLS: u.Scheme == "https", Name: "premier-forward-auth",
			MaxConns: forwardMaxConns, MaxResponseBodySize: forwardMaxBody, MaxIdleConnDuration: forwardIdleExpiry,
			ReadTimeout: time.Duration(c.Timeout * float64(time.Second)), WriteTimeout: time.Duration(c.Timeout * float64(time.Second)),
			NoDefaultUserAgentHeader: true, DisablePathNormalizing: true,
		},
		host:    u.Host,
		target:  u.RequestURI(),
		timeout: time.Duration(c.Timeout * float64(time.Second)),
		breaker: resilience.NewBreaker(resilience.BreakerConfig{FailureThreshold: forwardBreakerN, RecoveryTimeout: forwardRecoveryS, ExpectedException: "Exception"}),
	}
	for _, h := range c.CopyHeaders {
		f.copy = append(f.copy, []byte(h))
	}
	return f
}

var (
	hdrXForwardedMethod = []byte("X-Forwarded-Method")
	hdrXForwardedURI    = []byte("X-Forwarded-Uri")
	hdrCookie           = []byte(fasthttp.HeaderCookie)
	hdrAuthorization    = []byte(fasthttp.HeaderAuthorization)
)

// Authenticate asks the auth service. It always decides: forward is the
// last method, and a request with no credentials at all is the auth
// service's to judge (it may redirect to a login page).
func (f *forwardAuth) Authenticate(ctx *fasthttp.RequestCtx, st *auth.State) auth.Result {
	ticket, err := f.breaker.Acquire()
	if err != nil {
		return auth.Unavailable
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI(f.target)
	h := &req.Header
	h.SetHost(f.host)
	h.SetMethod(fasthttp.MethodGet)
	h.SetBytesKV(hdrXForwardedMethod, ctx.Method())
	h.SetBytesKV(hdrXForwardedURI, st.URI)
	h.SetBytesKV(keyXFHost, ctx.Host())
	if ctx.IsTLS() {
		h.SetBytesKV(keyXFProto, strHTTPS)
	} else {
		h.SetBytesKV(keyXFProto, strHTTP)
	}
	if v := ctx.Request.Header.PeekBytes(hdrAuthorization); v != nil {
		h.SetBytesKV(hdrAuthorization, v)
	}
	if v := ctx.Request.Header.PeekBytes(hdrCookie); len(v) > 0 {
		h.SetBytesKV(hdrCookie, v)
	}
	err = f.hc.DoTimeout(req, resp, f.timeout)
	status := resp.StatusCode()
	f.breaker.Release(ticket, err == nil && status < 500)
	switch {
	case err != nil || status >= 500:
		fasthttp.ReleaseResponse(resp)
		return auth.Unavailable
	case status >= 200 && status < 300:
		for _, name := range f.copy {
			if v := resp.Header.PeekBytes(name); v != nil {
				ctx.Request.Header.SetBytesKV(name, v)
			}
		}
		fasthttp.ReleaseResponse(resp)
		st.Identity = auth.Identity{Method: auth.MethodForward}
		return auth.Admitted
	}
	st.Answer = resp
	return auth.Relayed
}

var relayedHeaders = []string{fasthttp.HeaderWWWAuthenticate, fasthttp.HeaderLocation, fasthttp.HeaderContentType}

// relayAnswer writes the auth service's refusal to the client: its status,
// body, WWW-Authenticate, Location and Content-Type, nothing else (its
// cookies and other headers stay between it and the gateway).
func relayAnswer(ctx *fasthttp.RequestCtx, a *fasthttp.Response) {
	r := &ctx.Response
	r.ResetBody()
	r.SetStatusCode(a.StatusCode())
	r.Header.SetContentTypeBytes(nil)
	for _, name := range relayedHeaders {
		for _, v := range a.Header.PeekAll(name) {
			r.Header.AddBytesV(name, v)
		}
	}
	r.SetBody(a.Body())
}
