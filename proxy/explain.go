package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/ui/source"
)

// Explain says which rule the request q describes would match and what
// the gateway would do with it: the rules before it and why each did not
// match, the policies in the order they run, the backends, and the cache
// and rate-limit keys. Nothing is sent and no counter moves. The request
// goes through the gateway's own route step (head checks, normalisation,
// reserved prefix, the running table's match), so the answer is the one a
// real request gets; the reasons for the skipped rules come from the same
// compiled table (route.Table.Explain). `premier -explain` and the
// dashboard's form print it.
func (g *Gateway) Explain(q source.ExplainQuery) (source.Explanation, error) {
	ctx, https, err := explainCtx(q)
	if err != nil {
		return source.Explanation{}, err
	}
	t := g.cur.Load()
	s := &scratch{}
	e := source.Explanation{Method: string(ctx.Method()), URL: q.URL, ClientIP: ctx.RemoteIP().String()}
	p, reserved := g.route(ctx, t, s)
	e.Host, e.Path = string(ctx.Request.Header.Host()), string(s.path)
	switch {
	case s.probe:
		e.Answered = &source.GatewayAnswer{Status: ctx.Response.StatusCode(), Reason: "a health probe under the reserved prefix: answered for everyone, before any redirect or dashboard check"}
		return e, nil
	case reserved:
		e.Answered = &source.GatewayAnswer{Status: 0, Reason: "the dashboard's reserved prefix " + string(t.prefix) + ": the dashboard, its API and /metrics answer, never a rule"}
		return e, nil
	case p == nil:
		e.Answered = &source.GatewayAnswer{Status: ctx.Response.StatusCode(), Reason: answerReason(ctx),
			Location: string(ctx.Response.Header.Peek(fasthttp.HeaderLocation))}
		return e, nil
	}
	win, misses := t.match.Explain(&s.match, &s.caps)
	if win != p.index {
		return e, fmt.Errorf("explain: the table picked rule %d, the route step %d", win, p.index)
	}
	paths := t.loaded.Config.Paths
	for _, m := range misses {
		e.Skipped = append(e.Skipped, source.SkippedRule{Rule: m.Rule + 1, Pattern: paths[m.Rule].Pattern, Reason: m.Reason, Name: m.Name})
	}
	e.Rule, e.Pattern = p.index+1, p.name
	f := t.loaded.Config.DefaultFeatures
	if p.index >= 0 {
		f = &paths[p.index].Features
	}
	e.Policies = policiesOf(f, p)
	e.Backends, e.LB = backendsOf(t.loaded.Config, p)
	if p.noRoute {
		e.Notes = append(e.Notes, "no servers for this rule: the gateway answers 404")
	}
	if lp := p.limit; lp != nil {
		e.RateLimitKey = "global"
		if lp.key != nil {
			e.RateLimitKey = string(lp.appendKey(nil, t, ctx, s, https))
		}
	}
	if cp := p.cache; cp != nil {
		e.CacheKey = string(cp.appendKey(nil, t, ctx, https, s.path, &s.caps, &s.vars, &s.client, "", nil))
		if !ctx.IsGet() && !ctx.IsHead() {
			e.Notes = append(e.Notes, "the cache serves GET and HEAD only: this request goes to the backend (and an unsafe method invalidates the key)")
		}
	}
	if p.auth != nil {
		e.Notes = append(e.Notes, "credentials are not checked here: {consumer} and {jwt.*} in the keys read as absent")
	}
	return e, nil
}

// explainCtx builds the request q describes, arriving from q.ClientIP
// (over TLS for an https URL, so {scheme} and the https redirect see it).
func explainCtx(q source.ExplainQuery) (*fasthttp.RequestCtx, bool, error) {
	u, err := url.Parse(q.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false, fmt.Errorf("explain: %q: want an absolute http:// or https:// URL", q.URL)
	}
	method := strings.ToUpper(q.Method)
	if method == "" {
		method = fasthttp.MethodGet
	}
	ip := q.ClientIP
	if ip == "" {
		ip = "127.0.0.1"
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, false, fmt.Errorf("explain: client IP %q: %v", ip, err)
	}
	https := u.Scheme == "https"
	var conn net.Conn = &explainConn{remote: net.TCPAddrFromAddrPort(netip.AddrPortFrom(addr, 50000))}
	if https {
		conn = &explainTLSConn{explainConn: *conn.(*explainConn)}
	}
	ctx := &fasthttp.RequestCtx{}
	ctx.Init2(conn, explainLogger{}, false)
	req := &ctx.Request
	req.Header.SetMethod(method)
	target := u.EscapedPath()
	if target == "" {
		target = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		target += "?" + u.RawQuery
	}
	req.SetRequestURI(target)
	req.Header.SetHost(u.Host)
	for _, h := range q.Headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, false, fmt.Errorf("explain: header %q: want \"Name: value\"", h)
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return ctx, https, nil
}

// answerReason is the JSON error of a gateway answer, or its status text.
func answerReason(ctx *fasthttp.RequestCtx) string {
	if b := ctx.Response.Body(); len(b) > 0 && len(b) < 200 {
		return string(b)
	}
	return fasthttp.StatusMessage(ctx.Response.StatusCode())
}

// policiesOf lists a rule's policies in the fixed order of the request
// path (docs/architecture.md): the stages before the backend, then the
// attempt loop's, then monitoring.
func policiesOf(f *config.Features, p *plan) []source.Policy {
	out := []source.Policy{}
	if f == nil {
		return out
	}
	add := func(on bool, name, detail string) {
		if on {
			out = append(out, source.Policy{Name: name, Detail: detail})
		}
	}
	if a := f.IPFilter; a != nil {
		add(true, "ip_filter", fmt.Sprintf("allow %d, deny %d entries", len(a.Allow), len(a.Deny)))
	}
	if c := f.CORS; c != nil {
		add(true, "cors", "origins "+strings.Join(c.AllowOrigins, ", "))
	}
	if a := f.Auth; a != nil {
		var ms []string
		for _, m := range []struct {
			on   bool
			name string
		}{{a.APIKeys != nil, "api_keys"}, {a.Basic != nil, "basic"}, {a.JWT != nil, "jwt"}, {a.Forward != nil, "forward"}} {
			if m.on {
				ms = append(ms, m.name)
			}
		}
		add(true, "auth", strings.Join(ms, ", "))
	}
	if rl := f.RateLimit; rl != nil {
		add(true, "rate_limit", fmt.Sprintf("%s, %d per %gs, key %s", rl.Algorithm, rl.Quota, rl.Duration, rl.Key))
	}
	if c := f.Cache; c != nil {
		add(true, "cache", fmt.Sprintf("expire_s %g", c.ExpireS))
	}
	if f.WebSocket != nil {
		add(true, "websocket", "limits for upgraded connections")
	}
	add(p.timeout > 0, "timeout", p.timeout.String())
	if r := f.Retry; r != nil {
		add(true, "retry", "max_attempts "+strconv.Itoa(r.MaxAttempts))
	}
	if b := f.CircuitBreaker; b != nil {
		add(true, "circuit_breaker", "failure_threshold "+strconv.Itoa(b.FailureThreshold)+", recovery "+time.Duration(b.RecoveryTimeout*float64(time.Second)).String())
	}
	add(p.logThreshold > 0, "monitoring", "log requests over "+p.logThreshold.String())
	return out
}

// backendsOf is p's backend names and balancer ("app" in plugin mode).
func backendsOf(c *config.Config, p *plan) ([]string, string) {
	if p.app != nil {
		return []string{"app"}, ""
	}
	out := []string{}
	for _, b := range p.backends {
		out = append(out, b.URL)
	}
	lbc := c.LB
	if p.index >= 0 && len(c.Paths[p.index].Servers) > 0 && c.Paths[p.index].LB != nil {
		lbc = c.Paths[p.index].LB
	}
	name := "round_robin"
	if lbc != nil && lbc.Algorithm != "" {
		name = lbc.Algorithm
	}
	return out, name
}

// explainConn is the connection an explained request arrives on: only
// its client address is real. explainTLSConn makes RequestCtx.IsTLS true.
type explainConn struct{ remote net.Addr }

var errExplainConn = errors.New("explain: no connection")

func (c *explainConn) Read([]byte) (int, error)         { return 0, errExplainConn }
func (c *explainConn) Write([]byte) (int, error)        { return 0, errExplainConn }
func (c *explainConn) Close() error                     { return nil }
func (c *explainConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (c *explainConn) RemoteAddr() net.Addr             { return c.remote }
func (c *explainConn) SetDeadline(time.Time) error      { return nil }
func (c *explainConn) SetReadDeadline(time.Time) error  { return nil }
func (c *explainConn) SetWriteDeadline(time.Time) error { return nil }

type explainTLSConn struct{ explainConn }

func (c *explainTLSConn) Handshake() error { return nil }
func (c *explainTLSConn) ConnectionState() tls.ConnectionState {
	return tls.ConnectionState{HandshakeComplete: true, Version: tls.VersionTLS13}
}

type explainLogger struct{}

func (explainLogger) Printf(string, ...any) {}

// Explain is the gateway's Explain (source.Source).
func (s *DashboardSource) Explain(q source.ExplainQuery) (source.Explanation, error) {
	return s.g.Explain(q)
}
