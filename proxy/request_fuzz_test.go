package proxy

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/premier-gateway/premier/internal/syncbuf"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/route"
)

// The request-head fuzz drives raw request bytes, parsed by fasthttp as the
// server parses them, through Gateway.Handler to an in-memory backend whose
// connection is tapped, and checks what we own: the request target
// (splitRequestURI, the normaliser, the rewrite), hop-by-hop stripping in
// both directions, and the X-Forwarded-* headers.

const fuzzHeadYAML = `premier:
  servers: ["http://backend.internal:80"]
  limits: {backend_timeout: 2}
  trusted_proxies: ["203.0.113.0/24"]
  paths:
    - pattern: /api/users/{id}
    - pattern: "^/re/(?P<x>[^/]+)$"
    - pattern: "/static/*"
`

// The peers: a trusted proxy, whose forwarding headers are kept, and a
// client, whose forwarding headers are replaced.
var (
	trustedPeer = &net.TCPAddr{IP: net.IPv4(203, 0, 113, 9), Port: 40000}
	clientPeer  = &net.TCPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 40000}
)

// headHarness is a gateway forwarding to an in-memory backend; every byte
// the gateway writes to the backend is copied to tap.
type headHarness struct {
	gw   *Gateway
	logs *syncbuf.Buffer
	mu   sync.Mutex
	tap  bytes.Buffer
}

type tapConn struct {
	net.Conn
	h *headHarness
}

func (c tapConn) Write(p []byte) (int, error) {
	c.h.mu.Lock()
	c.h.tap.Write(p)
	c.h.mu.Unlock()
	return c.Conn.Write(p)
}

// Hop-by-hop headers the backend answers with; none may reach the client.
var backendHopHeaders = [][2]string{
	{"Keep-Alive", "timeout=5"}, {"Proxy-Agent", "b"}, {"X-Hop", "1"}, {"Connection", "X-Hop"},
}

func newHeadHarness(tb testing.TB) *headHarness {
	tb.Helper()
	ln := fasthttputil.NewInmemoryListener()
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		for _, kv := range backendHopHeaders {
			ctx.Response.Header.Set(kv[0], kv[1])
		}
		ctx.Response.Header.Set("X-End", "1")
		ctx.SetBodyString("ok")
	}}
	go srv.Serve(ln) //nolint:errcheck
	tb.Cleanup(func() { _ = srv.Shutdown(); _ = ln.Close() })
	l, err := config.Parse("head.yaml", []byte(fuzzHeadYAML))
	if err != nil {
		tb.Fatal(err)
	}
	h := &headHarness{logs: &syncbuf.Buffer{}}
	h.gw, err = New(l, WithLogger(slog.New(slog.NewTextHandler(h.logs, nil))), func(g *Gateway) {
		g.dial = func(string) (net.Conn, error) {
			c, err := ln.Dial()
			return tapConn{c, h}, err
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(h.gw.Close)
	return h
}

type hdr struct{ k, v string } // k lower-cased

func requestHeaders(h *fasthttp.RequestHeader) []hdr {
	var out []hdr
	for k, v := range h.All() {
		out = append(out, hdr{strings.ToLower(string(k)), string(v)})
	}
	return out
}

func responseHeaders(h *fasthttp.ResponseHeader) []hdr {
	var out []hdr
	for k, v := range h.All() {
		out = append(out, hdr{strings.ToLower(string(k)), string(v)})
	}
	return out
}

func values(hs []hdr, name string) []string {
	var out []string
	for _, h := range hs {
		if h.k == name {
			out = append(out, h.v)
		}
	}
	return out
}

// listElems splits comma-separated field values into their non-empty,
// OWS-trimmed elements (RFC 9110 §5.6.1).
func listElems(vs ...string) []string {
	var out []string
	for _, v := range vs {
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.Trim(e, " \t"); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// connectionTokens is every option named by every Connection field, lower-cased.
func connectionTokens(hs []hdr) map[string]bool {
	toks := map[string]bool{}
	for _, e := range listElems(values(hs, "connection")...) {
		toks[strings.ToLower(e)] = true
	}
	return toks
}

func isHopName(k string) bool {
	switch k {
	case "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade":
		return true
	}
	return len(k) > len("proxy-") && strings.HasPrefix(k, "proxy-")
}

// endToEnd are the fields a Connection option never removes: the
// message's routing and framing, and the X-Forwarded-* the gateway adds
// after stripping. "close" is an option, not a field.
var endToEnd = map[string]bool{"close": true, "host": true, "content-length": true,
	"x-forwarded-for": true, "x-forwarded-proto": true, "x-forwarded-host": true, "x-real-ip": true}

// checkStripped fails if a hop-by-hop header, or one the original headers'
// Connection fields named, is left in hs (allowed: exceptions).
func checkStripped(t *testing.T, what string, hs []hdr, named map[string]bool, allowed map[hdr]bool) {
	t.Helper()
	for _, h := range hs {
		if allowed[h] {
			continue
		}
		if isHopName(h.k) || named[h.k] && !endToEnd[h.k] {
			t.Fatalf("%s: hop-by-hop header %s: %q survived (Connection named %v)", what, h.k, h.v, named)
		}
	}
}

// refSplitTarget is the reference reading of a request target: the path
// and ?query the rules see, the authority of an absolute-form target, or
// !ok for a target the gateway refuses.
func refSplitTarget(target string) (path, query, authority string, ok bool) {
	if !strings.HasPrefix(target, "/") {
		scheme, rest, found := strings.Cut(target, "://")
		if !found || !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") {
			return "", "", "", false
		}
		authority = rest
		if end := strings.IndexAny(rest, "/?#"); end >= 0 {
			authority = rest[:end]
		}
		if authority == "" || !validHost([]byte(authority)) {
			return "", "", "", false
		}
		end := strings.IndexAny(rest, "/?")
		if end < 0 {
			return "/", "", authority, true
		}
		target = rest[end:]
		if target[0] == '?' {
			target = "/" + target
		}
	}
	path, q, found := strings.Cut(target, "?")
	if found {
		query = "?" + q
	}
	return path, query, authority, true
}

func FuzzRequestHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /api/users/7?x=1 HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For: , 5.6.7.8\r\n\r\n",
		"GET //a/./b/../api/users/%37 HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET http://evil.example/static/x?q HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET http://evil.example?q HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET https://evil.example HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET evil.example/x HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /a/%2e%2e/%2e%2e/b HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /__premier/ HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /x%2f..%2f__premier HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\nProxy-Authorization: b\r\nProxy-X: y\r\nUpgrade: h2c\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nConnection: X-A\r\nConnection: X-B\r\nX-A: 1\r\nX-B: 2\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nConnection: x-forwarded-for\r\nX-Forwarded-For: 9.9.9.9\r\n\r\n",
		"GET /x HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nCookie: a=b; c=d\r\n\r\n",
		"POST /api/users/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nabc",
		"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
		"GET /re/a;b HTTP/1.1\r\nHost: A.Example:80\r\nX-Forwarded-Host: h\r\nX-Forwarded-Proto: https\r\n\r\n",
		"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, X-Up\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Up: 1\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nConnection: Host\r\n\r\n",
		"GET /é/%C3%A9 HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /a%2Cb%3B%40%25/%7e HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nX-Original-URL: /admin\r\nX-Forwarded-Prefix: /p\r\nX-HTTP-Method-Override: DELETE\r\nVary: a\r\nVary: b\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nX-Original-URL: /admin\r\nX-Forwarded-Prefix: /p\r\nX-HTTP-Method-Override: DELETE\r\nVary: a\r\nVary: b\r\n\r\n ",
		"GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: b\r\nForwarded: for=1.2.3.4\r\nX-Real-IP: 9.9.9.9\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: b\r\nForwarded: for=1.2.3.4\r\nX-Real-IP: 9.9.9.9\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n ",
		"GET /x HTTP/1.1\r\nHost: a\r\nConnection: X-Forwarded-Proto\r\nX-Forwarded-Proto: https\r\nExpect: 100-continue\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Proto: ftp\r\nX-Forwarded-Host: e1\r\nX-Forwarded-Host: e2\r\nX-Real-IP: 1.1.1.1\r\nX-Real-IP: 2.2.2.2\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Proto: ftp\r\nX-Forwarded-Host: e1\r\nX-Forwarded-Host: e2\r\nX-Real-IP: 1.1.1.1\r\nX-Real-IP: 2.2.2.2\r\n\r\n ",
		"GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nVary: a\r\nForwarded: for=x\r\nVary: b\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nVary: a\r\nForwarded: for=x\r\nVary: b\r\n\r\n ",
	} {
		f.Add([]byte(s))
	}
	h := newHeadHarness(f)
	f.Fuzz(func(t *testing.T, head []byte) {
		checkResponseStrip(t, head)
		h.check(t, head)
	})
}

// check runs one raw request through the gateway.
func (h *headHarness) check(t *testing.T, raw []byte) {
	var req fasthttp.Request
	if req.ReadLimitBody(bufio.NewReader(bytes.NewReader(raw)), 1<<16) != nil {
		return // fasthttp answers 400/413 itself
	}
	var u fasthttp.URI
	if u.Parse(req.Header.Host(), req.Header.RequestURI()) != nil {
		return // so does the server when the URI does not parse
	}
	client := requestHeaders(&req.Header)
	named := connectionTokens(client)
	method := string(req.Header.Method())
	target := string(req.Header.RequestURI())
	body := string(req.Body())
	clientClose := req.Header.ConnectionClose()
	upgrade := isWebSocketUpgrade(&req)

	trusted := len(raw)%2 == 0
	peer := clientPeer
	if trusted {
		peer = trustedPeer
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, peer, nil)
	_ = ctx.Request.URI() // the server parses the URI before the handler runs
	h.mu.Lock()
	h.tap.Reset()
	h.mu.Unlock()
	h.gw.Handler(&ctx)
	h.mu.Lock()
	sent := bytes.Clone(h.tap.Bytes())
	h.mu.Unlock()

	status := ctx.Response.StatusCode()
	if status == fasthttp.StatusInternalServerError || strings.Contains(h.logs.String(), "panic") {
		t.Fatalf("%q: status %d, logs:\n%s", raw, status, h.logs.String())
	}
	path, query, authority, ok := refSplitTarget(target)
	var norm []byte
	var err error
	if ok {
		norm, err = route.NormalizePath(nil, []byte(path))
	}
	if !ok || err != nil {
		if len(sent) > 0 || status < 400 && !(method == "OPTIONS" && target == "*") {
			t.Fatalf("target %q refused (%v %v): status %d, sent %q", target, ok, err, status, sent)
		}
		return
	}
	if route.HasPrefixSegment(norm, []byte("/__premier")) {
		if len(sent) > 0 {
			t.Fatalf("target %q (%s) reached the backend: %q", target, norm, sent)
		}
		return
	}
	if len(sent) == 0 {
		if status < 400 {
			t.Fatalf("%q: nothing forwarded yet status %d", raw, status)
		}
		return
	}

	// Exactly one well-formed request reached the backend.
	var fwd fasthttp.Request
	br := bufio.NewReader(bytes.NewReader(sent))
	if err := fwd.ReadLimitBody(br, 1<<20); err != nil {
		t.Fatalf("%q: backend got an unparsable request %q: %v", raw, sent, err)
	}
	if rest, _ := io.ReadAll(br); len(rest) > 0 {
		t.Fatalf("%q: backend got trailing bytes %q after %q", raw, rest, sent)
	}
	if got, want := string(fwd.Header.RequestURI()), string(norm)+query; got != want {
		t.Fatalf("%q: forwarded target %q, want %q", raw, got, want)
	}
	if string(fwd.Header.Method()) != method || string(fwd.Body()) != body {
		t.Fatalf("%q: forwarded %s with body %q, client sent %s with %q", raw, fwd.Header.Method(), fwd.Body(), method, body)
	}
	out := requestHeaders(&fwd.Header)
	// The gateway may close its own backend connection (HTTP/1.0 clients).
	allowed := map[hdr]bool{{"connection", "close"}: true}
	if upgrade {
		allowed[hdr{"connection", "Upgrade"}] = true
		allowed[hdr{"upgrade", "websocket"}] = true
	}
	checkStripped(t, "request", out, named, allowed)

	// The forwarding headers a trusted proxy sent (and did not name
	// hop-by-hop) are kept; a client's are replaced.
	kept := func(name string) []string {
		if !trusted || named[name] {
			return nil
		}
		return values(client, name)
	}
	wantXFF := append(listElems(kept("x-forwarded-for")...), peer.IP.String())
	xff := values(out, "x-forwarded-for")
	if len(xff) != 1 || strings.Join(listElems(xff...), "|") != strings.Join(wantXFF, "|") {
		t.Fatalf("%q: X-Forwarded-For %q, want the elements %q", raw, xff, wantXFF)
	}
	clientHost := ""
	if hs := values(client, "host"); len(hs) > 0 {
		clientHost = hs[0]
	}
	if authority != "" {
		clientHost = authority // absolute form: its authority is the host
	}
	wantHost := clientHost
	if wantHost == "" {
		wantHost = "backend.internal:80" // HTTP/1.0 without Host: the backend's
	}
	if host := values(out, "host"); len(host) != 1 || host[0] != wantHost {
		t.Fatalf("%q: Host %q, want %q", raw, host, wantHost)
	}
	for name, own := range map[string]string{"x-forwarded-proto": "http", "x-forwarded-host": clientHost} {
		want := kept(name)
		if len(want) == 0 || want[0] == "" {
			want = []string{own}
		}
		if got := values(out, name); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%q: %s %q, want %q", raw, name, got, want)
		}
	}
	if got, want := values(out, "forwarded"), kept("forwarded"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%q: Forwarded %q, want %q", raw, got, want)
	}
	if ip := values(out, "x-real-ip"); len(ip) != 1 || !trusted && ip[0] != peer.IP.String() {
		t.Fatalf("%q: X-Real-IP %q", raw, ip)
	} else if _, err := netip.ParseAddr(ip[0]); err != nil {
		t.Fatalf("%q: X-Real-IP %q: %v", raw, ip, err)
	}

	// URL and method overrides never pass; the other forwarding hints
	// only from a trusted proxy.
	for _, name := range clientOverrides {
		if got := values(out, strings.ToLower(name)); len(got) > 0 {
			t.Fatalf("%q: %s %q forwarded", raw, name, got)
		}
	}
	for _, name := range forwardingOverrides {
		name = strings.ToLower(name)
		if got, want := values(out, name), kept(name); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%q: %s %q, want %q", raw, name, got, want)
		}
	}

	// Every other end-to-end header arrives as sent.
	for _, c := range client {
		if isClientOverride([]byte(c.k), trusted) || isClientOverride([]byte(c.k), false) {
			continue // checked above
		}
		switch c.k {
		case "host", "content-length", "transfer-encoding", "expect",
			"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "x-real-ip":
			continue
		}
		if isHopName(c.k) || named[c.k] {
			continue
		}
		if got, want := values(out, c.k), values(client, c.k); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%q: header %s forwarded as %q, client sent %q", raw, c.k, got, want)
		}
	}

	// The backend's answer reaches the client without its hop-by-hop headers.
	resp := responseHeaders(&ctx.Response.Header)
	var closeOK map[hdr]bool
	if clientClose {
		closeOK = map[hdr]bool{{"connection", "close"}: true}
	}
	checkStripped(t, "response", resp, map[string]bool{"x-hop": true}, closeOK)
	if status != 200 || string(ctx.Response.Body()) != "ok" || len(values(resp, "x-end")) != 1 {
		t.Fatalf("%q: client got %d %q %q", raw, status, ctx.Response.Body(), resp)
	}
	if clientClose && !ctx.Response.ConnectionClose() {
		t.Fatalf("%q: client asked to close, the answer keeps the connection", raw)
	}
}

// checkResponseStrip reads the header lines of raw as a response head and
// strips it as the gateway strips a backend's answer.
func checkResponseStrip(t *testing.T, raw []byte) {
	i := bytes.IndexByte(raw, '\n')
	if i < 0 {
		return
	}
	var rh fasthttp.ResponseHeader
	in := append([]byte("HTTP/1.1 200 OK\r\n"), raw[i+1:]...)
	if rh.Read(bufio.NewReader(bytes.NewReader(in))) != nil {
		return
	}
	before := responseHeaders(&rh)
	named := connectionTokens(before)
	stripHopByHop(&rh, nil, nil)
	rh.ResetConnectionClose()
	after := responseHeaders(&rh)
	checkStripped(t, "response head", after, named, nil)
	for _, b := range before {
		if !isHopName(b.k) && !named[b.k] && b.k != "content-length" {
			if got, want := values(after, b.k), values(before, b.k); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("%q: end-to-end response header %s became %q, was %q", raw, b.k, got, want)
			}
		}
	}
}

// forwardRaw sends one raw request from peer through the harness and
// returns the request the backend read.
func (h *headHarness) forwardRaw(t *testing.T, peer net.Addr, raw string) *fasthttp.Request {
	t.Helper()
	var req fasthttp.Request
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		t.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, peer, nil)
	_ = ctx.Request.URI()
	h.mu.Lock()
	h.tap.Reset()
	h.mu.Unlock()
	h.gw.Handler(&ctx)
	h.mu.Lock()
	defer h.mu.Unlock()
	var fwd fasthttp.Request
	if err := fwd.Read(bufio.NewReader(bytes.NewReader(h.tap.Bytes()))); err != nil {
		t.Fatalf("status %d, backend read %q: %v", ctx.Response.StatusCode(), h.tap.Bytes(), err)
	}
	return &fwd
}

// TestForwardedTargetKeepsEscapes: a path the normaliser leaves unchanged
// reaches the backend byte for byte — fasthttp's URI writer would turn
// %2C into ',' and %3B into ';', so the backend and the rules would read
// different paths. Found by FuzzRequestHead.
func TestForwardedTargetKeepsEscapes(t *testing.T) {
	h := newHeadHarness(t)
	for _, target := range []string{"/a%2Cb%3B%40%25?q=%2C", "/static/%C3%A9", "/api/users/1%2B1"} {
		fwd := h.forwardRaw(t, clientPeer, "GET "+target+" HTTP/1.1\r\nHost: a\r\n\r\n")
		if got := string(fwd.Header.RequestURI()); got != target {
			t.Errorf("backend got %q, want %q", got, target)
		}
	}
}

// TestHopByHopKeepsRepeatedOrder: deleting the hop-by-hop headers leaves
// repeated fields in their order (fasthttp's Del swaps the last header into
// the gap), so a trusted proxy's X-Forwarded-For chain is not reversed.
// Found by FuzzRequestHead.
func TestHopByHopKeepsRepeatedOrder(t *testing.T) {
	h := newHeadHarness(t)
	fwd := h.forwardRaw(t, trustedPeer, "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n"+
		"X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nVary: a\r\nConnection: X-A\r\nVary: b\r\n\r\n")
	if got := string(fwd.Header.Peek("X-Forwarded-For")); got != "1.1.1.1, 2.2.2.2, 203.0.113.9" {
		t.Errorf("X-Forwarded-For %q", got)
	}
	var vary []string
	for _, v := range fwd.Header.PeekAll("Vary") {
		vary = append(vary, string(v))
	}
	if strings.Join(vary, ",") != "a,b" || fwd.Header.Peek("X-A") != nil {
		t.Errorf("Vary %q, X-A %q", vary, fwd.Header.Peek("X-A"))
	}
}
