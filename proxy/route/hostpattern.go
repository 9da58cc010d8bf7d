package route

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
)

// HostPattern matches a host name the way the configuration writes one:
// an exact name ("api.example.com", an IPv4 address, or a bracketed IPv6
// one "[::1]"), or a wildcard "*.example.com" that stands for exactly one
// label in front of example.com: "api.example.com" matches, while
// "example.com" and "a.b.example.com" do not. One label, not any number:
// "*.example.com" is read as "a subdomain of example.com", and letting it
// reach "evil.attacker.example.com" silently widens what the operator
// wrote. Names compare ASCII-case-insensitively and a trailing dot on the
// host is ignored. CORS origins use it; rule `hosts` is meant to use the
// same matcher so the two never disagree on what "*." means.
//
// The zero HostPattern matches nothing. Match does not allocate.
type HostPattern struct {
	name string // lower case; for a wildcard, the suffix after "*." with its dot (".example.com")
	wild bool
}

// ParseHostPattern parses "name", "IPv4", "[IPv6]" or "*.name".
func ParseHostPattern(s string) (HostPattern, error) {
	if rest, ok := strings.CutPrefix(s, "*."); ok {
		if !ValidDNSName(rest) {
			return HostPattern{}, fmt.Errorf("%q: want *.domain with a host name after \"*.\"", s)
		}
		return HostPattern{name: "." + strings.ToLower(strings.TrimSuffix(rest, ".")), wild: true}, nil
	}
	if inner, ok := strings.CutPrefix(s, "["); ok && strings.HasSuffix(inner, "]") {
		if a, err := netip.ParseAddr(inner[:len(inner)-1]); err == nil && a.Is6() && a.Zone() == "" {
			return HostPattern{name: strings.ToLower(s)}, nil
		}
		return HostPattern{}, fmt.Errorf("%q: not a bracketed IPv6 address", s)
	}
	if strings.Contains(s, "*") {
		return HostPattern{}, fmt.Errorf("%q: a wildcard is only allowed as the whole first label (*.example.com)", s)
	}
	if !ValidDNSName(s) {
		return HostPattern{}, fmt.Errorf("%q is not a host name", s)
	}
	return HostPattern{name: strings.ToLower(strings.TrimSuffix(s, "."))}, nil
}

// Wildcard reports whether h is a "*." pattern.
func (h HostPattern) Wildcard() bool { return h.wild }

// String is the pattern as written (lower case).
func (h HostPattern) String() string {
	if h.wild {
		return "*" + h.name
	}
	return h.name
}

// Match reports whether host (the name alone, without a port) matches h.
func (h HostPattern) Match(host []byte) bool {
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	if h.name == "" {
		return false
	}
	if !h.wild {
		return len(host) == len(h.name) && ascii.EqualFold(host, h.name)
	}
	label := len(host) - len(h.name) // the one label in front of the suffix
	if label <= 0 || !ascii.EqualFold(host[label:], h.name) {
		return false
	}
	for _, c := range host[:label] {
		if c == '.' {
			return false
		}
	}
	return true
}

// ValidDNSName reports whether n is a host name (letters, digits and
// hyphens in dot-separated labels of at most 63 characters, 253 in all,
// an optional trailing dot) or an IPv4 address.
func ValidDNSName(n string) bool {
	n = strings.TrimSuffix(n, ".")
	if n == "" || len(n) > 253 {
		return false
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}
