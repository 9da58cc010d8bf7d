package proxy

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/route"
	"github.com/premier-gateway/premier/resilience"
)

// forward sends ctx.Request to the rule's backends in place and leaves the
// backend's response (streamed when large) in ctx.Response. With a retry
// policy, failed attempts (connection errors, attempt timeouts, retryable
// statuses) are retried on another backend when one is left, after the
// policy's wait, within the request's deadline and the backend's budget.
// Breakers skip open backends; when all are open the answer is 503.
func (p *plan) forward(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, deadline time.Time) string {
	req := &ctx.Request
	clientClose := req.Header.ConnectionClose()
	http10 := !req.Header.IsHTTP11()
	var err error
	if err = prepareRequest(ctx, t, s); err != nil {
		writeError(ctx, err)
		ctx.SetConnectionClose()
		return ""
	}
	// Forward exactly the target the rules matched. Anything that parsed the
	// URI since (cache keys, query templates) would make fasthttp rebuild
	// the target from its own decoding of the path.
	req.SetRequestURIBytes(s.uri)
	var hash uint64
	if p.hashClient {
		hash = clientHash(t.trusted.ClientIP(ctx))
	}
	attempts := p.attempts(req)
	noHost := len(req.Header.Host()) == 0 // HTTP/1.0 may omit it; 1.1 backends need one
	s.body = clientBody{left: -1}
	if req.IsBodyStream() {
		// Streamed bodies go through clientBody: a chunked one is capped
		// at the body limit, and a client failing mid-body is told so.
		cl := req.Header.ContentLength()
		s.body.r = req.BodyStream()
		if cl < 0 && t.maxBody > 0 {
			s.body.left = t.maxBody
		}
		req.SetBodyStream(&s.body, cl)
	}
	s.filter = attemptFilter{p: p, fresh: true}
	backend := ""
	for attempt := 1; ; attempt++ {
		i := p.balancer.Pick(hash, &s.filter)
		if i < 0 && s.filter.tried != 0 {
			s.filter.fresh = false // every backend tried: any usable one will do
			i = p.balancer.Pick(hash, &s.filter)
		}
		if i < 0 {
			p.unavailable(ctx)
			break
		}
		b := p.backends[i]
		backend = b.URL
		if i < 64 {
			s.filter.tried |= 1 << uint(i)
		}
		var ticket resilience.Ticket
		if p.breakers != nil {
			var err error
			if ticket, err = p.breakers[i].Acquire(); err != nil {
				attempt-- // lost the race for the half-open probe: pick again
				continue
			}
		}
		if p.budgets != nil && attempt == 1 {
			// Client requests fund the budget, retries only spend it: a
			// 0.2 budget means at most 1.2 attempts per request (plus the
			// floor), not 1.25 with retries funding retries.
			p.budgets[i].OnRequest()
		}
		if noHost {
			req.Header.SetHost(b.Target.Addr)
		}
		b.Start()
		began := time.Now()
		var err error
		if pt := p.pipelineFor(b, req); pt != nil {
			err = pt.roundTrip(b, req, &ctx.Response, began, deadline, p.wholeBody)
		} else {
			err = roundTrip(b.Client, req, &ctx.Response, began, deadline, p.wholeBody)
		}
		took := time.Since(began)
		s.obs.Upstream += took
		status := ctx.Response.StatusCode()
		if s.body.err != nil { // the client's body failed, not the backend
			b.Done(took, false)
			if p.breakers != nil {
				p.breakers[i].Release(ticket, true)
			}
			writeError(ctx, s.body.fault())
			clientClose = true
			break
		}
		// A full local pool (max_conns_per_backend) says nothing about the
		// backend: it counts against neither its health nor its breaker.
		local := errors.Is(err, fasthttp.ErrNoFreeConns)
		b.Done(took, (err != nil && !local) || status >= 500)
		if p.breakers != nil && !local {
			p.breakers[i].Release(ticket, !p.breakerFailure(err, status))
		}
		if !p.shouldRetry(err, status, attempt, attempts) || !p.budgets[i].TryRetry() ||
			!waitRetry(p.retry.WaitFor(attempt), deadline) {
			if err != nil {
				p.backendError(g, ctx, b.URL, err)
			}
			break
		}
		if err != nil && !local {
			g.backendFailures.note(b.URL, err)
		}
		ctx.Response.Reset() // drop the failed attempt's answer (closes its stream)
	}
	if http10 && !bufferForHTTP10(&ctx.Response) {
		writeError(ctx, ErrBadGateway)
	}
	s.buf = stripHopByHop(&ctx.Response.Header, s.buf)
	ctx.Response.Header.ResetConnectionClose()
	if clientClose {
		ctx.SetConnectionClose()
	}
	return backend
}

// attempts is how many tries a request gets: the retry policy's when the
// method may be repeated and the body can be replayed, else one. A body
// the server read whole (up to bufferedBodyBytes) is kept for replay;
// larger or chunked bodies stream once and are never retried.
func (p *plan) attempts(req *fasthttp.Request) int {
	if p.retry == nil || p.retry.MaxAttempts < 2 {
		return 1
	}
	if !p.retry.RetryMethod(req.Header.Method(), len(req.Header.Peek("Idempotency-Key")) > 0) {
		return 1
	}
	if req.IsBodyStream() {
		cl := req.Header.ContentLength()
		if cl < 0 || cl > bufferedBodyBytes {
			return 1
		}
		// The body is already in memory behind the stream: make it the
		// request's plain body so every attempt writes it again.
		req.SwapBody(req.SwapBody(nil))
	}
	return p.retry.MaxAttempts
}

// shouldRetry reports whether an attempt that ended with err or status is
// tried again.
func (p *plan) shouldRetry(err error, status, attempt, attempts int) bool {
	if attempt >= attempts {
		return false
	}
	if err != nil {
		return p.retry.RetryKind(resilience.Classify(err))
	}
	return p.retry.RetryStatus(status)
}

// breakerFailure reports whether an attempt counts against the breaker:
// connection errors, timeouts and 5xx, as ExpectedException selects.
func (p *plan) breakerFailure(err error, status int) bool {
	if err != nil {
		return p.breakerCfg.CountsKind(resilience.Classify(err))
	}
	return status >= 500 && p.breakerCfg.CountsKind(resilience.KindOther)
}

// waitRetry pauses before a retry; false when the pause would overrun the
// request's deadline.
func waitRetry(d time.Duration, deadline time.Time) bool {
	if !deadline.IsZero() && time.Until(deadline) <= d {
		return false
	}
	if d > 0 {
		time.Sleep(d)
	}
	return true
}

// unavailable answers when no backend can be tried: 503 with Retry-After,
// from the earliest breaker probe when breakers are the reason.
func (p *plan) unavailable(ctx *fasthttp.RequestCtx) {
	writeError(ctx, ErrNoBackend)
	wait := time.Second
	if p.breakers != nil {
		wait = 0
		for _, b := range p.breakers {
			if d := b.RetryAfter(); wait == 0 || d < wait {
				wait = d
			}
		}
	}
	ctx.Response.Header.SetBytesV("Retry-After", appendSeconds(ctx.Response.Header.Peek("Retry-After")[:0], wait))
}

// appendSeconds appends d in whole seconds, rounded up, at least 1.
func appendSeconds(dst []byte, d time.Duration) []byte {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return strconv.AppendInt(dst, secs, 10)
}

// clientHash hashes a client address for ip_hash (FNV-1a, no allocation).
func clientHash(ip netip.Addr) uint64 {
	b := ip.As16()
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// prepareRequest sanitises the request for the backend: hop-by-hop headers
// and client overrides (see clientOverrides) out, then the forwarding
// headers written by the gateway (RFC 9110 §7.6.1 order, so a client
// cannot strip them via Connection). From a client that is not a trusted
// proxy, X-Forwarded-For is the TCP peer alone, X-Forwarded-Proto/-Host
// are the gateway's own and Forwarded is dropped; from a trusted proxy its
// chain is kept and the peer appended. X-Real-IP is always the resolved
// client address. The client's Host is kept, and the request goes out as
// HTTP/1.1. It refuses a request with more than maxHeaderCount fields
// (ErrHeadersTooLarge), and one with a header name holding whitespace or
// spelling Content-Length or Transfer-Encoding with '_', which a backend
// mapping '_' to '-' would take as framing (ErrBadRequest).
//
// One pass over the fields as they will be written (requestfields.go: the
// Cookie line stays as the client sent it) finds all of that; a header the
// gateway writes is deleted first only when the client sent one.
func prepareRequest(ctx *fasthttp.RequestCtx, t *table, s *scratch) error {
	req := &ctx.Request
	h := &req.Header
	peer := route.PeerAddr(ctx)
	trusted := t.trusted.Contains(peer)
	s.head = appendHead(s.head[:0], h)
	hop := hopScan{conn: s.conn[:0]}
	chain := s.buf[:0] // a trusted proxy's X-Forwarded-For chain
	var sent, kept forwardingSet
	overrides, fields := false, 0
	sc := newFieldScanner(s.head)
	for k, v, ok := sc.next(); ok; k, v, ok = sc.next() {
		if fields++; fields > maxHeaderCount {
			return ErrHeadersTooLarge
		}
		hop.field(k, v)
		if f := forwardingField(k); f != 0 {
			sent |= f
			if len(v) > 0 {
				kept |= f
			}
			if f == fwdXFF && trusted {
				chain = appendListItem(chain, v)
			}
			continue
		}
		if isClientOverride(k, trusted) {
			overrides = true
		} else if badName(k) {
			return ErrBadRequest
		}
	}
	s.conn = hop.conn
	hop.drop(h)
	h.ResetConnectionClose()
	req.UseHostHeader = true
	if !h.IsHTTP11() {
		h.SetProtocolBytes(strHTTP11) // the backend always gets HTTP/1.1
	}
	if len(hop.conn) > 0 { // a forwarding header named in Connection is gone now
		sent, kept = sent.unless(hop.conn), kept.unless(hop.conn)
		if kept&fwdXFF == 0 {
			chain = chain[:0]
		}
	}

	if len(chain) > 0 {
		chain = append(chain, ", "...)
	}
	chain = appendPeerIP(chain, peer)
	setForwarding(h, keyXFF, chain, sent&fwdXFF != 0, hop.repeated)
	if !trusted && sent&fwdForwarded != 0 {
		delKeepOrder(h, hdrForwarded, hop.repeated)
	}
	if overrides {
		stripClientOverrides(h, trusted, hop.repeated)
	}
	if !trusted || kept&fwdXFProto == 0 {
		proto := strHTTP
		if ctx.IsTLS() {
			proto = strHTTPS
		}
		setForwarding(h, keyXFProto, proto, sent&fwdXFProto != 0, hop.repeated)
	}
	if !trusted || kept&fwdXFHost == 0 {
		setForwarding(h, keyXFHost, h.Host(), sent&fwdXFHost != 0, hop.repeated)
	}
	client := peer // from a trusted proxy, the right-most untrusted address
	if trusted {
		client = t.trusted.ClientIP(ctx)
	}
	s.buf = client.AppendTo(chain[:0])
	setForwarding(h, keyXRealIP, s.buf, sent&fwdXRealIP != 0, hop.repeated)
	return nil
}

// maxHeaderCount caps the header fields of a forwarded request, as Envoy
// (100) and HAProxy (101) do, so no backend refuses what the gateway took.
const maxHeaderCount = 100

// badName reports a header name to refuse: one holding whitespace (which
// fasthttp lets through, and a backend may read as two tokens), or one
// spelling a framing header with '_'.
func badName(k []byte) bool {
	under := false
	for _, c := range k {
		if c == ' ' || c == '\t' {
			return true
		}
		under = under || c == '_'
	}
	return under && isFramingAlias(k)
}

// isFramingAlias reports whether k reads Content-Length or
// Transfer-Encoding once '_' is taken for '-'.
func isFramingAlias(k []byte) bool {
	return dashFold(k, "content-length") || dashFold(k, "transfer-encoding")
}

func dashFold(k []byte, lower string) bool {
	if len(k) != len(lower) {
		return false
	}
	for i, c := range k {
		if c == '_' {
			c = '-'
		}
		if c|0x20 != lower[i] {
			return false
		}
	}
	return true
}

func appendPeerIP(dst []byte, peer netip.Addr) []byte {
	if !peer.IsValid() {
		return append(dst, "unknown"...)
	}
	return peer.AppendTo(dst)
}

func equalFoldString(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i]|0x20, s[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// backendError answers a failed backend exchange: the rule's timeout
// response, or 502 — never revealing the backend's address.
func (p *plan) backendError(g *Gateway, ctx *fasthttp.RequestCtx, backend string, err error) {
	if errors.Is(err, fasthttp.ErrNoFreeConns) { // our pool is full, not the backend's fault
		writeError(ctx, ErrUnavailable)
		ctx.Response.Header.SetBytesV("Retry-After", strOne)
		return
	}
	if isTimeout(err) {
		if p.timeout > 0 {
			writeJSON(ctx, p.timeoutCode, p.timeoutBody)
			return
		}
		writeError(ctx, ErrTimeout)
		return
	}
	g.backendFailures.note(backend, err)
	writeError(ctx, ErrBadGateway)
}

func isTimeout(err error) bool {
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

const (
	hdrXFF     = "X-Forwarded-For"
	hdrXFProto = "X-Forwarded-Proto"
	hdrXFHost  = "X-Forwarded-Host"
	hdrXRealIP = "X-Real-IP"

	hdrForwarded = "Forwarded"
)

var (
	strOne   = []byte("1")
	strHTTP  = []byte("http")
	strHTTPS = []byte("https")
)
