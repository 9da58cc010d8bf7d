package ui

import (
	"net/netip"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/ui/source"
)

// clientKey is the client a wrong token is counted against: the address
// the gateway resolves through trusted_proxies (acc.ClientIP), so every
// admin behind one reverse proxy is not throttled as a single client, and
// an IPv6 client's /64, since one host usually owns a whole /64 and could
// otherwise guess from 2^64 addresses.
func clientKey(ctx *fasthttp.RequestCtx, acc source.Access) string {
	ip, _ := netip.AddrFromSlice(ctx.RemoteIP())
	ip = ip.Unmap()
	if acc.ClientIP != nil {
		ip = acc.ClientIP(ip, ctx.Request.Header.PeekAll)
	}
	if !ip.IsValid() {
		return ""
	}
	if ip = ip.Unmap().WithZone(""); ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}
