package route

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
	"github.com/valyala/fasthttp"
)

// ForwardHeader selects which header a trusted proxy uses to pass on the
// client address.
type ForwardHeader uint8

const (
	// XForwardedFor walks X-Forwarded-For (all occurrences, comma lists).
	XForwardedFor ForwardHeader = iota
	// Forwarded walks RFC 7239 Forwarded "for=" parameters.
	Forwarded
)

// Trusted is a set of trusted proxy prefixes. A nil *Trusted trusts nobody.
//
// Only one header is walked, never both: a client can always add the header
// its proxies do not set, so reading both would let it inject hops.
type Trusted struct {
	prefixes []netip.Prefix

	// Header is the header the trusted proxies set. Default XForwardedFor.
	// Set it before the first use; a Trusted is read-only afterwards.
	Header ForwardHeader
}

// ParseTrustedProxies parses CIDR prefixes ("10.0.0.0/8", "2001:db8::/32")
// and plain addresses (taken as /32 or /128). Every bad entry yields an error
// that names it and wraps ErrBadProxy; the good entries are still used.
func ParseTrustedProxies(cidrs []string) (*Trusted, []error) {
	t := &Trusted{}
	var errs []error
	for _, s := range cidrs {
		s = strings.TrimSpace(s)
		var p netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			p, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(s); err == nil {
				if a.Zone() != "" {
					err = fmt.Errorf("zones are not allowed")
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%w %q: %v", ErrBadProxy, s, err))
			continue
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		t.prefixes = append(t.prefixes, p.Masked())
	}
	return t, errs
}

// Contains reports whether ip belongs to a trusted proxy.
func (t *Trusted) Contains(ip netip.Addr) bool {
	if t == nil || !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// PeerAddr returns the TCP peer address of ctx (IPv4-mapped addresses
// unmapped), or the zero Addr when the connection is not IP.
func PeerAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	var ip netip.Addr
	switch a := ctx.RemoteAddr().(type) {
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	case *net.UDPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	case *net.IPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	}
	return ip.Unmap()
}

const (
	hdrXFF       = "X-Forwarded-For"
	hdrForwarded = "Forwarded"
)

// ClientIP returns the client address of the request. It is the TCP peer,
// unless the peer is a trusted proxy: then the forwarding header is walked
// from the right (last occurrence, last entry first), skipping trusted hops,
// and the right-most untrusted address is returned. An entry that does not
// parse (garbage, "unknown", an obfuscated name, an empty list item) stops
// the walk at the last good address, so nothing left of a bad hop is
// believed. When every hop is trusted, the left-most one is returned.
// ClientIP does not allocate.
func (t *Trusted) ClientIP(ctx *fasthttp.RequestCtx) netip.Addr {
	cand := PeerAddr(ctx)
	if !t.Contains(cand) {
		return cand
	}
	return t.walk(cand, ctx.Request.Header.PeekAll(t.headerName()))
}

// ClientIPOf is ClientIP for a request given as its TCP peer and its
// header (every value of the named header, as fasthttp's PeekAll returns
// them), for callers that keep to the standard library's types: the
// dashboard resolves the client it throttles through it.
func (t *Trusted) ClientIPOf(peer netip.Addr, header func(name string) [][]byte) netip.Addr {
	peer = peer.Unmap()
	if !t.Contains(peer) {
		return peer
	}
	return t.walk(peer, header(t.headerName()))
}

func (t *Trusted) headerName() string {
	if t.Header == Forwarded {
		return hdrForwarded
	}
	return hdrXFF
}

// walk is ClientIP's walk over the forwarding header's lines from a
// trusted peer (cand).
func (t *Trusted) walk(cand netip.Addr, lines [][]byte) netip.Addr {
	for li := len(lines) - 1; li >= 0; li-- {
		line := lines[li]
		for end := len(line); end >= 0; {
			start := bytes.LastIndexByte(line[:end], ',') + 1
			entry := line[start:end]
			end = start - 1
			var ip netip.Addr
			var ok bool
			if t.Header == Forwarded {
				ip, ok = forwardedFor(entry)
			} else {
				ip, ok = parseHostAddr(entry)
			}
			if !ok {
				return cand
			}
			ip = ip.Unmap()
			if !t.Contains(ip) {
				return ip
			}
			cand = ip
		}
	}
	return cand
}

// forwardedFor extracts the address of the "for" parameter of one
// Forwarded element ("for=1.2.3.4;proto=https", `for="[::1]:80"`).
func forwardedFor(elem []byte) (netip.Addr, bool) {
	for len(elem) > 0 {
		var pair []byte
		if i := bytes.IndexByte(elem, ';'); i >= 0 {
			pair, elem = elem[:i], elem[i+1:]
		} else {
			pair, elem = elem, nil
		}
		pair = ascii.TrimOWS(pair)
		eq := bytes.IndexByte(pair, '=')
		if eq != 3 || !bytes.EqualFold(pair[:3], []byte("for")) {
			continue
		}
		v := pair[4:]
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		return parseHostAddr(v)
	}
	return netip.Addr{}, false
}

// AppendClientKey appends the rate-limit identity of ip to dst: an IPv4 (or
// IPv4-mapped IPv6) address as a dotted quad, an IPv6 address as its /64
// prefix ("2001:db8:1:2::/64"), since one host usually owns a whole /64.
// An invalid Addr appends nothing. It does not allocate when dst has room.
func AppendClientKey(dst []byte, ip netip.Addr) []byte {
	if !ip.IsValid() {
		return dst
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.AppendTo(dst)
	}
	p, _ := ip.Prefix(64)
	return p.AppendTo(dst)
}
