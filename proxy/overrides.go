package proxy

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// clientOverrides are request headers through which a client could make
// the backend see another URL or method than the one the rules matched and
// the cache keyed: a path-policy bypass (X-Original-URL: /admin on a
// public path) and the classic unkeyed inputs of cache poisoning and CPDoS.
// They are removed from every request, whoever sent it.
var clientOverrides = [...]string{
	"X-Original-URL", "X-Rewrite-URL", "X-Override-URL",
	"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
}

// forwardingOverrides are forwarding headers the gateway does not write
// itself but frameworks build URLs from (scheme, port, path prefix). Like
// X-Forwarded-Proto/-Host they are believed only from a trusted proxy.
var forwardingOverrides = [...]string{
	"X-Forwarded-Scheme", "X-Forwarded-Port", "X-Forwarded-Prefix",
}

// isClientOverride reports whether header k is to be removed from a
// request whose peer is (trusted) or is not a trusted proxy.
func isClientOverride(k []byte, trusted bool) bool {
	if len(k) < 13 || !bytes.EqualFold(k[:2], strXDash) {
		return false
	}
	for _, name := range clientOverrides {
		if equalFoldString(k, name) {
			return true
		}
	}
	if !trusted {
		for _, name := range forwardingOverrides {
			if equalFoldString(k, name) {
				return true
			}
		}
	}
	return false
}

// stripClientOverrides removes what isClientOverride names: the rare path,
// once a request is known to carry one.
// repeated is whether header names repeat (see delKeepOrder).
func stripClientOverrides(h *fasthttp.RequestHeader, trusted, repeated bool) {
	for _, k := range clientOverrides {
		delKeepOrder(h, k, repeated)
	}
	if !trusted {
		for _, k := range forwardingOverrides {
			delKeepOrder(h, k, repeated)
		}
	}
}

var strXDash = []byte("x-")
