package proxy

import (
	"bytes"
	"net"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// acmeChallengePrefix is where ACME's HTTP-01 challenges are asked on the
// plain listener. Without the gateway's own ACME handler (SetACMEChallenge)
// tls.redirect_http leaves it to the rules, so a backend answering its
// own challenges (certbot's webroot) still can; with it, the handler has
// answered the real ones before the redirect.
var acmeChallengePrefix = []byte("/.well-known/acme-challenge/")

var (
	strHTTPSURL = []byte("https://")
	strLocation = []byte("Location")
	strHSTS     = []byte("Strict-Transport-Security")
)

// redirects reports whether this plain-listener request is answered with
// the redirect to https (tls.redirect_http): every request, but those
// under acmeChallengePrefix when exemptChallenges.
func (s *tlsState) redirects(ctx *fasthttp.RequestCtx, exemptChallenges bool) bool {
	if !s.redirect || ctx.IsTLS() {
		return false
	}
	return !exemptChallenges || !bytes.HasPrefix(ctx.Request.Header.RequestURI(), acmeChallengePrefix)
}

// redirectToHTTPS answers 308 with Location https://HOST[:PORT]/path?query:
// HOST is the request's host without its port, PORT the TLS listener's
// unless 443, path and query the request's as sent. A host that is not a
// DNS name or IP address, or a target with a byte a Location must not
// carry, is a 400: nothing the client wrote reaches the header unchecked.
func (s *tlsState) redirectToHTTPS(ctx *fasthttp.RequestCtx, buf []byte) []byte {
	uri := ctx.Request.Header.RequestURI()
	host := ctx.Request.Header.Host()
	if len(uri) > 0 && uri[0] != '/' {
		host = absoluteAuthority(uri)
	}
	path, query, ok := splitRequestURI(uri)
	name, okHost := redirectHost(host)
	if !ok || !okHost || !plainTarget(path) || !plainTarget(query) {
		writeError(ctx, ErrBadRequest)
		return buf
	}
	buf = append(buf[:0], strHTTPSURL...)
	buf = append(buf, name...)
	buf = append(buf, s.portSuffix...)
	buf = append(buf, path...)
	buf = append(buf, query...)
	ctx.Response.Reset()
	ctx.Response.SetStatusCode(fasthttp.StatusPermanentRedirect)
	ctx.Response.Header.SetCanonical(strLocation, buf)
	return buf
}

// redirectHost returns host without its port when it is a DNS name
// (letters, digits, '-' and '.'), an IPv4 address or a bracketed IPv6
// address, with at most a numeric port after it.
func redirectHost(host []byte) ([]byte, bool) {
	name, port := host, []byte(nil)
	if len(host) > 0 && host[0] == '[' {
		end := bytes.IndexByte(host, ']')
		if end < 0 {
			return nil, false
		}
		name, port = host[:end+1], host[end+1:]
		for _, c := range name[1:end] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
				return nil, false
			}
		}
		if end == 1 {
			return nil, false
		}
	} else {
		if i := bytes.IndexByte(host, ':'); i >= 0 {
			name, port = host[:i], host[i:]
		}
		if !dnsName(name) {
			return nil, false
		}
	}
	if len(port) > 0 {
		if port[0] != ':' || len(port) > 6 {
			return nil, false
		}
		for _, c := range port[1:] {
			if c < '0' || c > '9' {
				return nil, false
			}
		}
	}
	return name, true
}

// dnsName reports whether name is letters, digits, '-' and '.' only (an
// IPv4 address is too), 1 to 253 bytes.
func dnsName(name []byte) bool {
	if len(name) == 0 || len(name) > 253 {
		return false
	}
	for _, c := range name {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// plainTarget reports whether b holds only visible ASCII (no space,
// control byte or byte over 0x7e: a Location carries them escaped).
func plainTarget(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// setTLSAnswers fixes, from the tls block and the TLS listener's address,
// the redirect's port and the HSTS value; called once before serving.
func (s *tlsState) setTLSAnswers(t *config.TLS, addr net.Addr) {
	s.redirect = t.RedirectHTTP
	s.portSuffix = nil
	port := ""
	if ta, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
	} else if _, p, err := net.SplitHostPort(t.Listen); err == nil {
		port = p
	}
	if port != "" && port != "443" {
		s.portSuffix = []byte(":" + port)
	}
	s.hsts = nil
	if t.HSTS.MaxAge > 0 {
		v := "max-age=" + strconv.FormatInt(t.HSTS.MaxAge, 10)
		if t.HSTS.IncludeSubdomains {
			v += "; includeSubDomains"
		}
		s.hsts = []byte(v)
	}
}

// addHSTS puts Strict-Transport-Security on an answer over TLS (the
// backend's and the gateway's own alike) when tls.hsts.max_age > 0.
func (g *Gateway) addHSTS(ctx *fasthttp.RequestCtx) {
	if len(g.tls.hsts) > 0 && ctx.IsTLS() {
		ctx.Response.Header.SetCanonical(strHSTS, g.tls.hsts)
	}
}
