package proxy

import (
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/sock"
	"github.com/premier-gateway/premier/limiter"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/metrics"
	"github.com/premier-gateway/premier/proxy/route"
)

// limitPolicy is a rule's compiled rate_limit feature.
type limitPolicy struct {
	l      *limiter.Limiter
	key    *route.Template // nil: `global`, one counter for the rule
	status int
	body   []byte // {"error": error_message}
	policy []byte // RateLimit-Policy value
}

func (g *Gateway) newLimitPolicy(id string, rl *config.RateLimit, key *route.Template) (*limitPolicy, error) {
	l, err := g.limiters.Get(id, rl.Config)
	if err != nil {
		return nil, err
	}
	return &limitPolicy{l: l, key: key, status: rl.ErrorStatus, body: jsonError(rl.ErrorMessage), policy: l.AppendPolicy(nil)}, nil
}

// appendKey appends the request's counter key (empty for `global`) to
// dst; https says whether {scheme} is "https".
func (lp *limitPolicy) appendKey(dst []byte, t *table, ctx *fasthttp.RequestCtx, s *scratch, https bool) []byte {
	if lp.key == nil {
		return dst
	}
	s.vars = route.Vars{Path: s.path, Caps: &s.caps, TLS: https, Consumer: s.auth.Identity.Consumer, Claims: s.auth.Identity.Claims, RequestID: s.rid}
	if lp.key.Uses(route.PlaceholderClientCN) {
		s.vars.ClientCN = clientCN(ctx)
	}
	if lp.key.Uses("client_ip") {
		s.client = route.AppendClientKey(s.client[:0], s.clientIP(t, ctx))
		s.vars.ClientKey = s.client
	}
	return lp.key.Append(dst, ctx, &s.vars)
}

// admit runs the rule's admission policies (rate limiting) for a request
// about to be served or upgraded. It returns false when it has already
// answered the request (the rule's error status, 429 by default).
func (p *plan) admit(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch) bool {
	lp := p.limit
	if lp == nil {
		return true
	}
	s.key = lp.appendKey(s.key[:0], t, ctx, s, ctx.IsTLS())
	maxWait := time.Duration(-1)
	if p.timeout > 0 {
		maxWait = max(p.timeout-time.Since(s.obs.Start), 0)
	}
	s.decision = lp.l.AllowWithin(s.key, maxWait)
	s.obs.LimitKey = s.key
	d := &s.decision
	if !d.Allowed {
		s.obs.Limit = metrics.LimitRejected
		writeJSON(ctx, lp.status, lp.body)
		reasonRateLimited.n.Add(1)
		s.buf = strconv.AppendInt(s.buf[:0], int64(d.RetryAfterSeconds()), 10)
		ctx.Response.Header.SetBytesV("Retry-After", s.buf)
		return false
	}
	s.obs.Limit = metrics.LimitAllowed
	if d.Delay > 0 {
		s.obs.Limit = metrics.LimitDelayed
		if !waitTurn(ctx, d.Delay) {
			// The client left while queued: nothing to answer.
			writeError(ctx, ErrUnavailable) // resets the response, so close after
			ctx.SetConnectionClose()
			return false
		}
	}
	return true
}

// limitHeaders adds the IETF RateLimit-Policy and RateLimit headers to the
// response of every request a limit counted, admitted or not.
func (p *plan) limitHeaders(ctx *fasthttp.RequestCtx, s *scratch) {
	if p.limit == nil || s.obs.Limit == metrics.LimitNone {
		return
	}
	ctx.Response.Header.SetBytesV("RateLimit-Policy", p.limit.policy)
	s.buf = p.limit.l.AppendRateLimit(s.buf[:0], s.decision)
	ctx.Response.Header.SetBytesV("RateLimit", s.buf)
}

// waitTurn waits a leaky-bucket delay, checking every 50 ms that the client
// is still connected (a peek at its socket for the end of its stream,
// where the platform can peek). It returns false when the client went
// away.
func waitTurn(ctx *fasthttp.RequestCtx, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return true
		}
		time.Sleep(min(left, 50*time.Millisecond))
		if sock.PeerClosed(ctx.Conn()) {
			return false
		}
	}
}
