package proxy

import (
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/access"
	"github.com/premier-gateway/premier/proxy/config"
)

// accessPolicy is a rule's compiled ip_filter and cors features. A rule
// with neither has none (nil), so the request path pays one nil check.
type accessPolicy struct {
	ipf  *access.Filter // nil: no ip_filter
	cors *access.CORS   // nil: no cors
}

// newAccessPolicy compiles f's access features, or returns nil when it has
// none.
func newAccessPolicy(f *config.Features) (*accessPolicy, error) {
	if f.IPFilter == nil && f.CORS == nil {
		return nil, nil
	}
	a := &accessPolicy{}
	var err error
	if f.IPFilter != nil {
		if a.ipf, err = access.NewFilter(f.IPFilter); err != nil {
			return nil, fmt.Errorf("ip_filter: %w", err)
		}
	}
	if f.CORS != nil {
		if a.cors, err = access.NewCORS(f.CORS); err != nil {
			return nil, fmt.Errorf("cors: %w", err)
		}
	}
	return a, nil
}

// guard runs the access stages of the fixed order that come before auth
// and rate limits: ip_filter (the client address as trusted_proxies
// resolves it; 403 when refused), then the CORS preflight, answered here
// so that no credential check or quota ever sees it (a browser never sends
// credentials on a preflight, so an auth stage would refuse it and the
// page could never make its real request). It returns false when it has
// answered the request.
func (a *accessPolicy) guard(t *table, ctx *fasthttp.RequestCtx) bool {
	if a.ipf != nil && !a.ipf.Allowed(t.trusted.ClientIP(ctx)) {
		writeError(ctx, ErrForbidden)
		return false
	}
	if a.cors != nil {
		if method, ok := preflightMethod(&ctx.Request.Header); ok {
			answerPreflight(ctx, a.cors, method)
			return false
		}
	}
	return true
}

// preflightMethod returns the method a CORS preflight announces
// (Access-Control-Request-Method) and true when the request is one: an
// OPTIONS with an Origin and that header. Rule matching treats a preflight
// as the method it announces, so a rule limited to some methods answers
// the preflights of its own requests: a method criterion on rules reads
// the method through this function.
func preflightMethod(h *fasthttp.RequestHeader) ([]byte, bool) {
	if !h.IsOptions() {
		return nil, false
	}
	m := h.Peek(hdrACRequestMethod)
	if len(m) == 0 || len(h.Peek(fasthttp.HeaderOrigin)) == 0 {
		return nil, false
	}
	return m, true
}
