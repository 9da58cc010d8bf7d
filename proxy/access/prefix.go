package access

import (
	"fmt"
	"net/netip"
	"strings"
)

// CIDR is one entry of an `allow` or `deny` list: a prefix
// ("10.0.0.0/8", "2001:db8::/32") or a bare address, taken as /32 or
// /128. Its UnmarshalYAML checks it while the configuration is decoded,
// so a malformed entry is reported at its own line and column.
type CIDR string

// UnmarshalYAML reads the entry as a string and parses it.
func (c *CIDR) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err != nil {
		return fmt.Errorf("expected an IP address or CIDR string like 10.0.0.0/8")
	}
	if _, err := ParsePrefix(s); err != nil {
		return err
	}
	*c = CIDR(s)
	return nil
}

// ParsePrefix parses a CIDR prefix or a bare address (as /32 or /128).
// Host bits below the prefix length are cleared ("10.1.2.3/8" is
// 10.0.0.0/8), IPv4-mapped IPv6 prefixes become IPv4 ones (client
// addresses are unmapped before they are looked up), and zones are
// refused.
func ParsePrefix(s string) (netip.Prefix, error) {
	t := strings.TrimSpace(s)
	var p netip.Prefix
	var err error
	if strings.Contains(t, "/") {
		p, err = netip.ParsePrefix(t)
	} else {
		var a netip.Addr
		if a, err = netip.ParseAddr(t); err == nil {
			p = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil || !p.IsValid() || strings.Contains(t, "%") { // zones name a link, not a network

		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR (want e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7)", s)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}
