package proxy

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/metrics"
	"github.com/premier-gateway/premier/proxy/upstream"
)

// WebSocket proxying.
//
// The gateway forwards the client's upgrade request (its headers, key,
// subprotocols and extensions untouched; hop-by-hop headers replaced and
// X-Forwarded-* added as for any request) to a backend picked by the rule's
// balancer, on a dedicated connection. Only when the backend answers a 101
// whose Sec-WebSocket-Accept matches the client's key does it relay that
// 101, byte for byte, and hijack the client connection. A backend that
// cannot be reached or answers garbage gives 502 (504 on timeout); any
// other answer (401, 404, ...) is relayed as is.
//
// Once the 101 is relayed, package wsrelay runs the connection; its hub
// (g.ws) counts and caps the relayed connections and closes them on
// shutdown and when a reload removes their rule.

// isWebSocketUpgrade reports whether req asks for a WebSocket upgrade
// (RFC 6455 §4.1: GET, Connection: upgrade, Upgrade: websocket).
func isWebSocketUpgrade(req *fasthttp.Request) bool {
	return req.Header.IsGet() && bytes.EqualFold(req.Header.PeekCanonical(strUpgradeName), strWebSocket) &&
		req.Header.ConnectionUpgrade()
}

var (
	strWebSocket   = []byte("websocket")
	strUpgradeName = []byte(fasthttp.HeaderUpgrade) // canonical, as the request holds it
)

// wsHandshakeBuf is the buffer for reading the backend's response head.
const wsHandshakeBuf = 4 << 10

var wsReaderPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, wsHandshakeBuf) }}

// wsConfig returns the rule's websocket feature, or nil.
func (p *plan) wsConfig(t *table) *config.WebSocket {
	c := t.loaded.Config
	if p.index >= 0 && p.index < len(c.Paths) {
		return c.Paths[p.index].Features.WebSocket
	}
	if c.DefaultFeatures != nil {
		return c.DefaultFeatures.WebSocket
	}
	return nil
}

// serveWebSocket proxies an upgrade request: origin check (403), admission
// (rate limit, 429), max_connections (503), backend handshake (502/504 or
// the backend's own refusal), then the relay on the hijacked connection.
// It returns the backend URL, or "".
func (p *plan) serveWebSocket(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch) string {
	if x := p.transform; x != nil && x.Redirect != nil {
		x.redirect(t, ctx, s)
		return ""
	}
	if p.access != nil && !p.access.guard(t, ctx) { // ip_filter (an upgrade is never a preflight)
		return ""
	}
	switch {
	case p.app != nil:
		p.app(ctx) // plugin mode: the application upgrades itself
		s.obs.Source = metrics.SourceApp
		return ""
	case p.noRoute:
		writeError(ctx, ErrNoRoute)
		return ""
	}
	req := &ctx.Request
	key := req.Header.Peek("Sec-WebSocket-Key")
	if len(key) == 0 {
		writeError(ctx, ErrBadRequest)
		return ""
	}
	cfg := p.wsConfig(t)
	h := g.ws
	r := h.Rule(p.name)
	if cfg != nil && !originAllowed(cfg.AllowedOrigins, req.Header.Peek("Origin")) {
		r.Refuse()
		writeError(ctx, ErrOriginNotAllowed)
		return ""
	}
	if !p.authenticate(t, ctx, s) {
		return ""
	}
	if !p.admit(g, t, ctx, s) {
		return ""
	}
	maxConns := 0
	if cfg != nil {
		maxConns = cfg.MaxConnections
	}
	// Relayed connections leave fasthttp's max_connections count once
	// hijacked: the same cap applies to them separately.
	if !h.Reserve(r, maxConns, g.maxWebSockets) {
		writeError(ctx, ErrTooManyWebSockets)
		ctx.Response.Header.Set("Retry-After", "1")
		return ""
	}
	accept := wsAccept(key)
	if err := prepareRequest(ctx, t, s); err != nil {
		h.Release(r)
		writeError(ctx, err)
		return ""
	}
	if x := p.transform; x != nil {
		if err := x.rewriteRequest(t, ctx, s); err != nil {
			h.Release(r)
			writeError(ctx, err)
			return ""
		}
		req.SetRequestURIBytes(s.uri)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")

	timeout := seconds(t.loaded.Config.Limits.BackendTimeout)
	if p.timeout > 0 && p.timeout < timeout {
		timeout = p.timeout
	}
	if p.split != nil { // an upgrade sticks by the cookie it carries; it is not given one
		p, _ = p.split.choose(t, ctx)
	}
	var hash uint64
	if p.hashClient {
		hash = clientHash(t.trusted.ClientIP(ctx))
	}
	x := &s.ws
	*x = wsExchange{g: g, p: p, reqHead: req.Header.Header(), accept: accept, req: req, s: s}
	res := p.attempt(g, s, x, hash, p.attempts(g, s, req), p.repeatable(req), time.Now().Add(timeout))
	switch {
	case res.i < 0:
		h.Release(r)
		p.unavailable(ctx)
		return ""
	case res.err != nil:
		h.Release(r)
		p.backendError(g, ctx, s, p.backends[res.i].URL, res.err)
		return p.backends[res.i].URL
	}
	b, bc, br, head := p.backends[res.i], x.bc, x.br, x.head
	x.bc, x.br = nil, nil
	if res.status != fasthttp.StatusSwitchingProtocols {
		// The backend declined: relay its answer.
		h.Release(r)
		ctx.Response.Reset()
		err := ctx.Response.ReadLimitBody(br, 1<<20)
		wsReaderPool.Put(br)
		_ = bc.Close()
		if err == nil && !ownVersion(&ctx.Response.Header) {
			err = errBadUpgrade
		}
		if err != nil {
			p.backendError(g, ctx, s, b.URL, err)
			return b.URL
		}
		s.buf = stripHopByHop(&ctx.Response.Header, s.buf, t.rid.name())
		return b.URL
	}

	c := g.newWSConn(h, r, p, cfg, b, bc, s)
	n := len(head)
	head = t.rid.intoHead(head, s) // a copy: head is br's buffer
	_, _ = br.Discard(n)
	var early []byte
	if n := br.Buffered(); n > 0 {
		e, _ := br.Peek(n)
		early = append([]byte(nil), e...)
	}
	br.Reset(nil)
	wsReaderPool.Put(br)
	_ = bc.SetDeadline(time.Time{})

	// If fasthttp never runs the hijack handler (the client connection
	// failed first), the backend connection and the slot are dropped.
	c.AbortAfter(timeout)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(nc net.Conn) { c.Serve(nc, head, early) })
	ctx.Response.SetStatusCode(fasthttp.StatusSwitchingProtocols) // for stats and the slow log
	return b.URL
}

var errBadUpgrade = errors.New("backend answered the upgrade with a malformed head or a 101 without a valid WebSocket accept")

// wsExchange is the attempt loop's exchange for an upgrade: one backend
// handshake per attempt. A 101 or a refusal to relay stays open in bc and
// br for the caller; a failed attempt's connection is closed.
type wsExchange struct {
	g       *Gateway
	p       *plan
	reqHead []byte
	accept  []byte
	bc      net.Conn
	br      *bufio.Reader
	head    []byte
	req     *fasthttp.Request
	s       *scratch
}

func (x *wsExchange) try(i int, _, deadline time.Time) (int, error) {
	if x.p.bases != nil { // this backend's base path in front of the target
		x.s.setTarget(x.req, x.p.bases[i])
		x.reqHead = x.req.Header.Header()
	}
	bc, br, head, err := x.g.wsHandshake(x.p.backends[i], x.reqHead, deadline)
	if err != nil {
		return 0, err
	}
	x.bc, x.br, x.head = bc, br, head
	status := wsStatus(head)
	if status == 0 || (status == fasthttp.StatusSwitchingProtocols &&
		(!bytes.EqualFold(wsHeaderValue(head, "Upgrade"), strWebSocket) ||
			!bytes.Equal(wsHeaderValue(head, "Sec-WebSocket-Accept"), x.accept))) {
		x.discard()
		return 0, errBadUpgrade
	}
	return status, nil
}

// discard closes the attempt's backend connection.
func (x *wsExchange) discard() {
	if x.bc != nil {
		wsReaderPool.Put(x.br)
		_ = x.bc.Close()
		x.bc, x.br, x.head = nil, nil, nil
	}
}

// wsHandshake dials b, sends the upgrade request head and reads the
// response head, all before deadline. head stays valid until br is read.
func (g *Gateway) wsHandshake(b *lb.Backend, reqHead []byte, deadline time.Time) (bc net.Conn, br *bufio.Reader, head []byte, err error) {
	if g.dial != nil {
		bc, err = g.dial(b.Target.Addr)
	} else {
		bc, err = net.DialTimeout("tcp", b.Target.Addr, time.Until(deadline))
	}
	if err != nil {
		return nil, nil, nil, err
	}
	_ = bc.SetDeadline(deadline)
	if b.Target.TLS {
		var cfg *tls.Config
		if b.Client != nil && b.Client.TLSConfig != nil {
			cfg = b.Client.TLSConfig.Clone()
		} else {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(b.Target.Addr)
		}
		tc := tls.Client(bc, cfg)
		if err = tc.Handshake(); err != nil {
			_ = bc.Close()
			return nil, nil, nil, err
		}
		bc = tc
	}
	if _, err = bc.Write(reqHead); err != nil {
		_ = bc.Close()
		return nil, nil, nil, upstream.Unsent(err)
	}
	br = wsReaderPool.Get().(*bufio.Reader)
	br.Reset(bc)
	if head, err = wsReadHead(br); err != nil {
		wsReaderPool.Put(br)
		_ = bc.Close()
		return nil, nil, nil, err
	}
	return bc, br, head, nil
}

// wsReadHead peeks a response head (through the blank line) without
// consuming it.
func wsReadHead(br *bufio.Reader) ([]byte, error) {
	for n := 1; ; n = br.Buffered() + 1 {
		if _, err := br.Peek(n); err != nil {
			return nil, err
		}
		b, _ := br.Peek(br.Buffered())
		if i := bytes.Index(b, strCRLF2); i >= 0 {
			return b[:i+4], nil
		}
	}
}

var strCRLF2 = []byte("\r\n\r\n")

// wsStatus parses the status code of a response head; 0 if malformed.
func wsStatus(head []byte) int {
	if len(head) < 12 || !bytes.HasPrefix(head, []byte("HTTP/1.")) || head[8] != ' ' {
		return 0
	}
	code := 0
	for _, c := range head[9:12] {
		if c < '0' || c > '9' {
			return 0
		}
		code = code*10 + int(c-'0')
	}
	return code
}

// wsHeaderValue returns the value of header name in a response head.
func wsHeaderValue(head []byte, name string) []byte {
	lines := head
	if i := bytes.Index(lines, strCRLF); i >= 0 {
		lines = lines[i+2:]
	}
	for len(lines) > 0 {
		line := lines
		if i := bytes.Index(lines, strCRLF); i >= 0 {
			line, lines = lines[:i], lines[i+2:]
		} else {
			lines = nil
		}
		if i := bytes.IndexByte(line, ':'); i > 0 && equalFoldString(bytes.TrimSpace(line[:i]), name) {
			return bytes.TrimSpace(line[i+1:])
		}
	}
	return nil
}

var strCRLF = []byte("\r\n")

// wsAccept is the Sec-WebSocket-Accept a server must answer to key.
func wsAccept(key []byte) []byte {
	h := sha1.New()
	h.Write(key)
	h.Write([]byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.AppendEncode(nil, h.Sum(nil))
}
