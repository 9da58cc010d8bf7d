package adminauth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/netip"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/ascii"
)

// Allowed reports whether ctx may use the reserved prefix without any
// further login: with a token configured, the request must carry it as
// `Authorization: Bearer`; without one, it must come from a local client
// (see Local).
func Allowed(ctx *fasthttp.RequestCtx, token string) bool {
	if token != "" {
		got, ok := Bearer(ctx)
		return ok && TokenEqual(got, token)
	}
	return Local(ctx)
}

// Local reports a request from a client on this host that came straight
// to the gateway: a loopback TCP peer, no forwarding headers (a proxy on
// the same host is a loopback peer too), and a loopback Host, so a page of
// another origin that resolves to 127.0.0.1 (DNS rebinding) is refused.
func Local(ctx *fasthttp.RequestCtx) bool {
	return LoopbackPeer(ctx) && !Forwarded(ctx) && LoopbackHost(ctx.Host())
}

// LoopbackPeer reports whether the TCP peer is a loopback address.
func LoopbackPeer(ctx *fasthttp.RequestCtx) bool {
	a, ok := ctx.RemoteAddr().(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

// Forwarded reports a request relayed by a proxy: its TCP peer is the
// proxy, not the client.
func Forwarded(ctx *fasthttp.RequestCtx) bool {
	h := &ctx.Request.Header
	return len(h.Peek("X-Forwarded-For")) > 0 || len(h.Peek("Forwarded")) > 0 || len(h.Peek("X-Real-Ip")) > 0
}

// LoopbackHost reports whether a Host header names this machine:
// localhost, a *.localhost name, or a loopback address (with or without a
// port).
func LoopbackHost(host []byte) bool {
	h := string(host)
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.Trim(h, "[]"), ".")
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// Bearer returns the token of an `Authorization: Bearer` header (the
// scheme is case-insensitive). A token in the query string is never read,
// so it cannot end up in access logs.
func Bearer(ctx *fasthttp.RequestCtx) ([]byte, bool) {
	auth := ctx.Request.Header.Peek("Authorization")
	if len(auth) > 7 && strings.EqualFold(string(auth[:7]), "bearer ") {
		return bytes.TrimSpace(auth[7:]), true
	}
	return nil, false
}

// TokenEqual compares in constant time; hashing first hides the length.
func TokenEqual(got []byte, token string) bool {
	a, b := sha256.Sum256(got), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// HostAllowed reports whether the Host header names one of names (the
// dashboard.hosts list); an empty list allows every host. The comparison
// ignores case, the port, the brackets of an IPv6 literal and a trailing
// dot, so "Admin.Example.com.:8443" is admin.example.com. It does not
// allocate: the gateway calls it for every request under the prefix.
func HostAllowed(host []byte, names []string) bool {
	if len(names) == 0 {
		return true
	}
	h := hostName(host)
	for _, n := range names {
		if n = hostNameString(n); len(n) == len(h) && ascii.EqualFold(h, n) {
			return true
		}
	}
	return false
}

// hostName is the name part of a Host header value.
func hostName(h []byte) []byte {
	if len(h) > 0 && h[0] == '[' {
		if i := bytes.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
		return h
	}
	// One colon separates a port; more are an unbracketed IPv6 literal.
	if i := bytes.LastIndexByte(h, ':'); i >= 0 && bytes.IndexByte(h[:i], ':') < 0 {
		h = h[:i]
	}
	return bytes.TrimSuffix(h, []byte("."))
}

// hostNameString is hostName for a configured name (no port).
func hostNameString(n string) string {
	n = strings.TrimSuffix(strings.TrimPrefix(n, "["), "]")
	return strings.TrimSuffix(n, ".")
}
