package access

import (
	"net/netip"
)

// FilterConfig is the `ip_filter` feature: which client addresses a rule
// serves. The client address is the one trusted_proxies resolves (the TCP
// peer unless that is a trusted proxy).
type FilterConfig struct {
	// Allow lists the CIDRs (or single addresses) served. Default: empty,
	// everyone not denied.
	Allow []CIDR `yaml:"allow"`
	// Deny lists the CIDRs (or single addresses) refused with 403; deny
	// wins over allow. Default: empty.
	Deny []CIDR `yaml:"deny"`
}

// Filter is a compiled FilterConfig.
type Filter struct {
	allow, deny *Set
}

// NewFilter compiles c. Entries were checked while decoding (CIDR); one
// that does not parse here is an error all the same.
func NewFilter(c *FilterConfig) (*Filter, error) {
	allow, err := prefixes(c.Allow)
	if err != nil {
		return nil, err
	}
	deny, err := prefixes(c.Deny)
	if err != nil {
		return nil, err
	}
	return &Filter{allow: NewSet(allow), deny: NewSet(deny)}, nil
}

func prefixes(cs []CIDR) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cs))
	for _, c := range cs {
		p, err := ParsePrefix(string(c))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Allowed reports whether the client ip may pass: not denied, and allowed
// when the allow list is not empty. An invalid address (a connection that
// is not IP) is refused when an allow list is set, since it cannot be
// shown to be in it.
func (f *Filter) Allowed(ip netip.Addr) bool {
	if f.deny.Contains(ip) {
		return false
	}
	return f.allow.Empty() || f.allow.Contains(ip)
}
