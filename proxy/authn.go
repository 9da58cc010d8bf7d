package proxy

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/auth"
	"github.com/premier-gateway/premier/proxy/metrics"
	"github.com/premier-gateway/premier/proxy/route"
)

// authMethod is what the request path asks of one authentication method
// (proxy/auth implements them): read the request's credentials of its
// kind, if any, and decide. It may shorten st.URI (a credential taken out
// of the query); it never writes the response.
type authMethod interface {
	Authenticate(ctx *fasthttp.RequestCtx, st *auth.State) auth.Result
}

// authPolicy is a rule's compiled auth feature.
type authPolicy struct {
	// methods in the fixed order: api_keys, basic, jwt, forward; the
	// first that finds its kind of credentials decides, and forward, when
	// configured, always decides.
	methods []authMethod
	// challenges are the WWW-Authenticate values of a 401, one per method.
	challenges [][]byte
	// needsClient: a method throttles by client address.
	needsClient bool
	// claimHeaders are jwt.claims_to_headers: removed from every request,
	// then set from an admitted token's claims.
	claimHeaders []auth.ClaimHeader
	a            *auth.Auth
}

func newAuthPolicy(a *auth.Auth) *authPolicy {
	p := &authPolicy{needsClient: a.NeedsClient(), claimHeaders: a.ClaimHeaders(), a: a}
	if a.APIKeys != nil {
		p.methods = append(p.methods, a.APIKeys)
	}
	if a.Basic != nil {
		p.methods = append(p.methods, a.Basic)
	}
	if a.JWT != nil {
		p.methods = append(p.methods, a.JWT)
	}
	if a.Forward != nil {
		p.methods = append(p.methods, newForwardAuth(a.Forward))
	}
	for _, c := range a.Challenges() {
		p.challenges = append(p.challenges, []byte(c))
	}
	return p
}

// HeaderConsumer carries the admitted consumer's name to the backend. The
// client's own copies are always removed (prepareRequest), on every rule,
// so a backend can trust it.
const HeaderConsumer = "X-Consumer"

var hdrWWWAuthenticate = []byte(fasthttp.HeaderWWWAuthenticate)

// authenticate runs the rule's auth: after ip_filter and the CORS
// preflight, before the rate limit and the cache, so an unauthenticated
// request is neither counted against a consumer's quota nor served a
// cached answer. It returns false when it has answered the request: 401
// with the challenges, 403, 429 for a client over the failure throttle,
// the forward auth service's own refusal, or 503 when that service cannot
// be asked. An API key request, or one with a token verified before, that
// passes allocates nothing.
func (p *plan) authenticate(t *table, ctx *fasthttp.RequestCtx, s *scratch) bool {
	ap := p.auth
	if ap == nil {
		return true
	}
	st := &s.auth
	st.URI, st.Now = s.uri, s.obs.Start
	if ap.needsClient {
		s.client = route.AppendClientKey(s.client[:0], s.clientIP(t, ctx))
		st.Client = s.client
	}
	// Claim headers are the gateway's word alone: the client's copies go
	// before any method runs, whichever then decides.
	for i := range ap.claimHeaders {
		ctx.Request.Header.DelBytes(ap.claimHeaders[i].Header)
	}
	res := auth.NoCredentials
	for _, m := range ap.methods {
		if res = m.Authenticate(ctx, st); res != auth.NoCredentials {
			break
		}
	}
	if len(st.URI) != len(s.uri) { // a credential left the query: the backend, the keys and the logs never see it
		s.uri = st.URI
		ctx.Request.SetRequestURIBytes(s.uri)
	}
	o := &s.obs
	switch res {
	case auth.Admitted:
		o.Auth, o.Consumer = metrics.AuthAdmitted, st.Identity.Consumer
		if c := st.Identity.Claims; c != nil {
			for i := range ap.claimHeaders {
				if ap.claimHeaders[i].Claim == "" { // forward.copy_headers: the auth service set them
					continue
				}
				if v, ok := c.Claim(ap.claimHeaders[i].Claim); ok {
					ctx.Request.Header.SetBytesKV(ap.claimHeaders[i].Header, v)
				}
			}
		}
		return true
	case auth.Forbidden:
		o.Auth = metrics.AuthForbidden
		writeError(ctx, ErrForbidden)
	case auth.Throttled:
		o.Auth = metrics.AuthThrottled
		writeError(ctx, ErrAuthThrottled)
		s.buf = strconv.AppendInt(s.buf[:0], int64(max(st.RetryAfter, 1)), 10)
		ctx.Response.Header.SetBytesV(fasthttp.HeaderRetryAfter, s.buf)
	case auth.Relayed: // the auth service's own refusal, as it is
		o.Auth = metrics.AuthUnauthorized
		if st.Answer.StatusCode() == fasthttp.StatusForbidden {
			o.Auth = metrics.AuthForbidden
		}
		relayAnswer(ctx, st.Answer)
		fasthttp.ReleaseResponse(st.Answer)
		st.Answer = nil
	case auth.Unavailable: // fail closed
		o.Auth = metrics.AuthUnauthorized
		writeError(ctx, ErrAuthUnavailable)
	default: // Refused, or no credentials of any kind
		o.Auth = metrics.AuthUnauthorized
		writeError(ctx, ErrUnauthorized)
		for _, c := range ap.challenges {
			ctx.Response.Header.AddBytesKV(hdrWWWAuthenticate, c)
		}
	}
	if !ap.needsClient {
		s.client = route.AppendClientKey(s.client[:0], s.clientIP(t, ctx))
	}
	o.Refused = s.client // the dashboard's top refused clients
	return false
}
