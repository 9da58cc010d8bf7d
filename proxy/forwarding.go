package proxy

import "github.com/valyala/fasthttp"

// forwardingSet is a set of the forwarding headers the gateway writes or
// drops, as prepareRequest finds them in a request.
type forwardingSet uint8

const (
	fwdXFF forwardingSet = 1 << iota
	fwdXFProto
	fwdXFHost
	fwdXRealIP
	fwdForwarded
	fwdConsumer // X-Consumer: the gateway's identity header, never the client's
	fwdClientCN // X-Client-Cert-CN: never believed from a client
)

// forwardingField returns the forwarding header k names, or 0.
func forwardingField(k []byte) forwardingSet {
	switch len(k) {
	case len(hdrXFF):
		if equalFoldString(k, hdrXFF) {
			return fwdXFF
		}
	case len(hdrXFProto):
		if equalFoldString(k, hdrXFProto) {
			return fwdXFProto
		}
	case len(hdrXFHost): // == len(hdrClientCN)
		if equalFoldString(k, hdrXFHost) {
			return fwdXFHost
		}
		if equalFoldString(k, hdrClientCN) {
			return fwdClientCN
		}
	case len(HeaderConsumer):
		if equalFoldString(k, HeaderConsumer) {
			return fwdConsumer
		}
	case len(hdrXRealIP): // == len(hdrForwarded)
		if equalFoldString(k, hdrXRealIP) {
			return fwdXRealIP
		}
		if equalFoldString(k, hdrForwarded) {
			return fwdForwarded
		}
	}
	return 0
}

// unless removes from f the headers the comma-separated list (Connection
// values) names: hop-by-hop, so already deleted.
func (f forwardingSet) unless(list []byte) forwardingSet {
	for rest := list; len(rest) > 0; {
		var tok []byte
		tok, rest = nextToken(rest)
		f &^= forwardingField(tok)
	}
	return f
}

// Canonical (fasthttp-normalised) names, set without normalising again.
var (
	keyXFF       = []byte("X-Forwarded-For")
	keyXFProto   = []byte("X-Forwarded-Proto")
	keyXFHost    = []byte("X-Forwarded-Host")
	keyXRealIP   = []byte("X-Real-Ip")
	keyForwarded = []byte("Forwarded")
)

// setForwarding makes v the only value of the canonical header key:
// the client's lines are deleted first when it sent any (sent).
func setForwarding(h *fasthttp.RequestHeader, key, v []byte, sent, repeated bool) {
	if sent {
		delKeepOrder(h, string(key), repeated)
	}
	h.SetCanonical(key, v)
}

// appendListItem appends v to the comma-separated list dst.
func appendListItem(dst, v []byte) []byte {
	if len(dst) > 0 {
		dst = append(dst, ", "...)
	}
	return append(dst, v...)
}
