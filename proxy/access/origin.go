package access

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/premier-gateway/premier/proxy/route"

	"github.com/premier-gateway/premier/internal/ascii"
)

// originPattern is one allow_origins entry: scheme://host[:port] where
// host is a route.HostPattern (exact or "*." one label).
type originPattern struct {
	scheme string // lower case, without "://"
	host   route.HostPattern
	port   string // "" for the scheme's default port
}

// parseOrigin parses an allow_origins entry other than "*". A trailing
// "/" is tolerated; a default port (:80 for http, :443 for https) is
// dropped, since browsers leave it out of the Origin they send.
func parseOrigin(s string) (originPattern, error) {
	bad := fmt.Errorf("%q is not an origin (want \"*\", scheme://host[:port] or scheme://*.domain, e.g. https://app.example.com)", s)
	scheme, rest, ok := strings.Cut(strings.TrimSuffix(s, "/"), "://")
	if !ok || !validScheme(scheme) || rest == "" || strings.ContainsAny(rest, "/?#@") {
		return originPattern{}, bad
	}
	host, port := splitHostPort(rest)
	if port != "" && !validPort(port) {
		return originPattern{}, bad
	}
	h, err := route.ParseHostPattern(host)
	if err != nil {
		return originPattern{}, fmt.Errorf("%q: %v", s, err)
	}
	scheme = strings.ToLower(scheme)
	if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		port = ""
	}
	return originPattern{scheme: scheme, host: h, port: port}, nil
}

// match reports whether an Origin split by splitOrigin matches o.
func (o *originPattern) match(scheme, host, port []byte) bool {
	return ascii.EqualFold(scheme, o.scheme) && len(port) == len(o.port) && string(port) == o.port && // compared in place
		o.host.Match(host)
}

// splitOrigin splits a request's Origin value into its scheme, host and
// port; anything unusual (a path, a second colon) stays in host, where it
// fails to match.
func splitOrigin(origin []byte) (scheme, host, port []byte, ok bool) {
	i := bytes.Index(origin, schemeSep)
	if i <= 0 {
		return nil, nil, nil, false
	}
	host, port = splitHostPortBytes(origin[i+3:])
	return origin[:i], host, port, true
}

var schemeSep = []byte("://")

// splitHostPort splits "host:port", "[v6]:port", "host" or "[v6]".
func splitHostPort(s string) (host, port string) {
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 {
			host, rest := s[:i+1], s[i+1:]
			if p, ok := strings.CutPrefix(rest, ":"); ok {
				return host, p
			}
			if rest != "" {
				return s, "" // garbage after "]": the host pattern refuses it
			}
			return host, ""
		}
		return s, ""
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// splitHostPortBytes is splitHostPort for a request's Origin; anything
// unusual (a path, a second colon) is left in host, where it fails to
// match.
func splitHostPortBytes(b []byte) (host, port []byte) {
	if len(b) > 0 && b[0] == '[' {
		if i := bytes.IndexByte(b, ']'); i > 0 && (i+1 == len(b) || b[i+1] == ':') {
			if i+1 == len(b) {
				return b, nil
			}
			return b[:i+1], b[i+2:]
		}
		return b, nil
	}
	if i := bytes.LastIndexByte(b, ':'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

func validScheme(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n > 0 && n <= 65535
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
