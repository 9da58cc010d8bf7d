package route

import (
	"net/netip"

	"github.com/premier-gateway/premier/internal/ascii"
)

// parseIP parses a textual IPv4 or IPv6 address without allocating (netip's
// parser needs a string and allocates its errors). Zones, leading zeros in
// IPv4 octets and anything else unusual are rejected.
func parseIP(b []byte) (netip.Addr, bool) {
	for _, c := range b {
		if c == '.' {
			var a4 [4]byte
			if !parseIPv4(b, a4[:]) {
				return netip.Addr{}, false
			}
			return netip.AddrFrom4(a4), true
		}
		if c == ':' {
			return parseIPv6(b)
		}
	}
	return netip.Addr{}, false
}

// parseIPv4 parses a dotted quad into out (4 bytes).
func parseIPv4(b []byte, out []byte) bool {
	k, val, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || k == 4 {
				return false
			}
			out[k] = byte(val)
			k, val, digits = k+1, 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || digits > 0 && val == 0 {
			return false
		}
		val = val*10 + int(c-'0')
		digits++
		if val > 255 {
			return false
		}
	}
	return k == 4
}

func parseIPv6(b []byte) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1 // byte index in ip where "::" was seen
	i, n := 0, 0   // input index, bytes of ip filled
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis = 0
		i = 2
		if i == len(b) {
			return netip.AddrFrom16(ip), true
		}
	}
	for n < 16 {
		// A hex group, or an embedded IPv4 at the end.
		start, val := i, 0
		for i < len(b) {
			h, ok := unhex(b[i])
			if !ok {
				break
			}
			val = val<<4 | int(h)
			i++
			if i-start > 4 {
				return netip.Addr{}, false
			}
		}
		if i == start {
			return netip.Addr{}, false
		}
		if i < len(b) && b[i] == '.' {
			if n > 12 || !parseIPv4(b[start:], ip[n:n+4]) {
				return netip.Addr{}, false
			}
			n += 4
			i = len(b)
			break
		}
		ip[n], ip[n+1] = byte(val>>8), byte(val)
		n += 2
		if i == len(b) {
			break
		}
		if b[i] != ':' || i+1 == len(b) {
			return netip.Addr{}, false
		}
		i++
		if b[i] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = n
			i++
			if i == len(b) {
				break
			}
		}
	}
	if i != len(b) {
		return netip.Addr{}, false
	}
	if n < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		gap := 16 - n
		copy(ip[ellipsis+gap:], ip[ellipsis:n])
		clear(ip[ellipsis : ellipsis+gap])
	} else if ellipsis >= 0 {
		// "::" must stand for at least one group
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(ip), true
}

// parseHostAddr parses an address as written in X-Forwarded-For or a
// Forwarded "for=" value: "1.2.3.4", "1.2.3.4:port", "::1", "[::1]",
// "[::1]:port". Surrounding spaces and tabs are ignored.
func parseHostAddr(b []byte) (netip.Addr, bool) {
	b = ascii.TrimOWS(b)
	if len(b) == 0 {
		return netip.Addr{}, false
	}
	if b[0] == '[' {
		end := -1
		for i, c := range b {
			if c == ']' {
				end = i
				break
			}
		}
		if end < 0 || !validPort(b[end+1:], true) {
			return netip.Addr{}, false
		}
		ip, ok := parseIPv6(b[1:end])
		return ip, ok
	}
	colons, last := 0, -1
	for i, c := range b {
		if c == ':' {
			colons++
			last = i
		}
	}
	if colons == 1 { // IPv4 with a port
		if !validPort(b[last:], false) {
			return netip.Addr{}, false
		}
		var a4 [4]byte
		if !parseIPv4(b[:last], a4[:]) {
			return netip.Addr{}, false
		}
		return netip.AddrFrom4(a4), true
	}
	return parseIP(b)
}

// validPort accepts ":digits" (1-5 digits), or "" when optional.
func validPort(b []byte, optional bool) bool {
	if len(b) == 0 {
		return optional
	}
	if b[0] != ':' || len(b) < 2 || len(b) > 6 {
		return false
	}
	for _, c := range b[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
