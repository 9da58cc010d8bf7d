package proxy

import (
	"errors"
	"net/netip"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/route"
	"github.com/premier-gateway/premier/proxy/upstream"
)

// forward sends ctx.Request to the rule's backends in place, through the
// attempt loop, and leaves the backend's response (streamed when large) in
// ctx.Response. It returns the backend that answered, or "".
func (p *plan) forward(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, deadline time.Time) string {
	req := &ctx.Request
	clientClose := req.Header.ConnectionClose()
	http10 := !req.Header.IsHTTP11()
	if err := prepareRequest(ctx, t, s); err != nil {
		writeError(ctx, err)
		ctx.SetConnectionClose()
		return ""
	}
	if x := p.transform; x != nil { // rewrite and header rules: after the sanitising
		if err := x.rewriteRequest(t, ctx, s); err != nil {
			writeError(ctx, err)
			return ""
		}
	}
	// Forward exactly the target the rules matched. Anything that parsed the
	// URI since (cache keys, query templates) would make fasthttp rebuild
	// the target from its own decoding of the path.
	req.SetRequestURIBytes(s.uri)
	var hash uint64
	if p.hashClient {
		hash = clientHash(s.clientIP(t, ctx))
	}
	attempts := p.attempts(g, s, req)
	repeatable := p.repeatable(req)
	s.whole.Max, s.whole.Budget = p.wholeBody, &g.bodies
	s.body = clientBody{left: -1}
	if req.IsBodyStream() {
		// Streamed bodies go through clientBody: a chunked one is capped
		// at the body limit, and a client failing mid-body is told so.
		cl := req.Header.ContentLength()
		s.body.r = req.BodyStream()
		s.body.h = &req.Header
		if cl < 0 && p.maxBody > 0 {
			s.body.left = p.maxBody
		}
		req.SetBodyStream(&s.body, cl)
	}
	x := &s.http
	*x = httpExchange{p: p, ctx: ctx, body: &s.body, whole: &s.whole, noHost: len(req.Header.Host()) == 0, s: s}
	r := p.attempt(g, s, x, hash, attempts, repeatable, deadline)
	backend := ""
	switch {
	case r.i < 0:
		p.unavailable(ctx)
	case r.err == errClientBody:
		backend = p.backends[r.i].URL
		writeError(ctx, s.body.fault())
		clientClose = true
	case r.err != nil:
		backend = p.backends[r.i].URL
		p.backendError(g, ctx, s, backend, r.err)
	default:
		backend = p.backends[r.i].URL
		if !ownVersion(&ctx.Response.Header) {
			writeError(ctx, ErrBadGateway)
		} else {
			s.relayed = true
		}
	}
	s.buf = stripHopByHop(&ctx.Response.Header, s.buf, t.rid.name())
	ctx.Response.Header.ResetConnectionClose()
	if clientClose {
		ctx.SetConnectionClose()
	}
	if http10 {
		g.streamToHTTP10(ctx)
	}
	return backend
}

// httpExchange forwards the prepared request to one backend per attempt.
type httpExchange struct {
	p      *plan
	ctx    *fasthttp.RequestCtx
	body   *clientBody
	whole  *upstream.Whole
	noHost bool // HTTP/1.0 may omit Host; 1.1 backends need one
	s      *scratch
}

func (x *httpExchange) try(i int, now, deadline time.Time) (int, error) {
	p, req, resp := x.p, &x.ctx.Request, &x.ctx.Response
	b := p.backends[i]
	if x.noHost {
		req.Header.SetHost(b.Target.Addr)
	}
	if p.bases != nil {
		x.s.setTarget(req, p.bases[i])
	}
	var err error
	if pt := p.pipelineFor(b, req); pt != nil {
		err = pt.RoundTrip(b, req, resp, now, deadline, x.whole)
	} else {
		err = upstream.RoundTrip(b.Client, req, resp, now, deadline, x.whole)
	}
	if x.body.err != nil { // the client's body failed, not the backend
		return 0, errClientBody
	}
	if err != nil {
		return 0, err
	}
	return resp.StatusCode(), nil
}

// setTarget sets the request target for one backend: its server URL's
// base path (nil: none) in front of s.uri. A retry on another backend
// sets it again from s.uri.
func (s *scratch) setTarget(req *fasthttp.Request, base []byte) {
	if len(base) == 0 {
		req.SetRequestURIBytes(s.uri)
		return
	}
	s.buri = append(append(s.buri[:0], base...), s.uri...)
	req.SetRequestURIBytes(s.buri)
}

// discard drops the failed attempt's answer (closing its stream).
func (x *httpExchange) discard() { x.ctx.Response.Reset() }

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
	overTLS := ctx.IsTLS()
	fchain := s.fwd[:0] // its Forwarded elements, on a TLS request
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
			if f == fwdForwarded && trusted && overTLS {
				fchain = appendListItem(fchain, v)
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
	s.repeated = hop.repeated
	if hop.trailer { // announced, or a buffered body's trailer section
		dropTrailers(h)
	}
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
		if kept&fwdForwarded == 0 {
			fchain = fchain[:0]
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
	if overTLS {
		s.fwd = appendForwarded(fchain, peer)
		setForwarding(h, keyForwarded, s.fwd, trusted && sent&fwdForwarded != 0, hop.repeated)
	}
	// X-Consumer is the gateway's word alone: a client's copy goes on
	// every rule, even from a trusted proxy, so no request forges an
	// identity; the admitted consumer's name takes its place.
	if sent&fwdConsumer != 0 {
		delKeepOrder(h, HeaderConsumer, hop.repeated)
	}
	if c := s.auth.Identity.Consumer; c != "" {
		h.Set(HeaderConsumer, c)
	}
	if sent&fwdClientCN != 0 { // only the gateway's handshake vouches for it
		delKeepOrder(h, hdrClientCN, hop.repeated)
	}
	if overTLS && t.asksClientCerts() {
		if cn := clientCN(ctx); cn != "" && plainValue(cn) {
			h.Set(hdrClientCN, cn)
		}
	}
	if !trusted || kept&fwdXFProto == 0 {
		proto := strHTTP
		if overTLS {
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
	s.ip, s.ipKnown = client, true // what Trusted.ClientIP says, found on the way
	s.buf = client.AppendTo(chain[:0])
	setForwarding(h, keyXRealIP, s.buf, sent&fwdXRealIP != 0, hop.repeated)
	return nil
}

// appendForwarded appends the gateway's own RFC 7239 element,
// `for=PEER;proto=https` (an IPv6 peer quoted in brackets), to a trusted
// proxy's elements in dst. Only TLS requests get one: a backend that reads
// Forwarded rather than X-Forwarded-Proto still learns the scheme, and
// plain requests keep the headers they always had.
func appendForwarded(dst []byte, peer netip.Addr) []byte {
	if len(dst) > 0 {
		dst = append(dst, ", "...)
	}
	switch {
	case !peer.IsValid():
		dst = append(dst, "for=unknown"...)
	case peer.Is6() && !peer.Is4In6():
		dst = append(dst, `for="[`...)
		dst = peer.AppendTo(dst)
		dst = append(dst, `]"`...)
	default:
		dst = append(dst, "for="...)
		dst = peer.Unmap().AppendTo(dst)
	}
	return append(dst, ";proto=https"...)
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
func (p *plan) backendError(g *Gateway, ctx *fasthttp.RequestCtx, s *scratch, backend string, err error) {
	if errors.Is(err, fasthttp.ErrNoFreeConns) { // our pool is full, not the backend's fault
		writeError(ctx, ErrUnavailable)
		ctx.Response.Header.SetBytesV("Retry-After", strOne)
		return
	}
	if upstream.IsTimeout(err) {
		if p.timeout > 0 {
			writeJSON(ctx, p.timeoutCode, p.timeoutBody)
			reasonRuleTimeout.n.Add(1)
			return
		}
		writeError(ctx, ErrTimeout)
		return
	}
	g.backendFailures.note(backend, err, s.rid, p.name)
	writeError(ctx, ErrBadGateway)
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
