package cache

import (
	"bytes"
)

// cacheControl holds the Cache-Control directives the cache acts on.
type cacheControl struct {
	noStore, noCache, private, public, mustRevalidate bool
	proxyRevalidate                                   bool
	maxAge, sMaxAge                                   int64 // seconds; -1 = absent
	staleWhileRevalidate, staleIfError                int64 // RFC 5861, seconds; -1 = absent
}

func (cc *cacheControl) reset() {
	*cc = cacheControl{maxAge: -1, sMaxAge: -1, staleWhileRevalidate: -1, staleIfError: -1}
}

// parse adds the directives of one Cache-Control field value (RFC 9111 §5.2).
// Unknown directives are ignored; a malformed delta-seconds counts as 0
// (stale), the conservative reading of §1.2.2. It does not allocate.
func (cc *cacheControl) parse(v []byte) {
	for len(v) > 0 {
		var d []byte
		d, v = nextItem(v)
		name, arg := d, []byte(nil)
		if i := bytes.IndexByte(d, '='); i >= 0 {
			name, arg = bytes.TrimSpace(d[:i]), bytes.Trim(bytes.TrimSpace(d[i+1:]), `"`)
		}
		switch {
		case bytes.EqualFold(name, ccNoStore):
			cc.noStore = true
		case bytes.EqualFold(name, ccNoCache):
			cc.noCache = true
		case bytes.EqualFold(name, ccPrivate):
			cc.private = true
		case bytes.EqualFold(name, ccPublic):
			cc.public = true
		case bytes.EqualFold(name, ccMustRevalidate):
			cc.mustRevalidate = true
		case bytes.EqualFold(name, ccMaxAge):
			cc.maxAge = deltaSeconds(arg)
		case bytes.EqualFold(name, ccSMaxAge):
			cc.sMaxAge = deltaSeconds(arg)
		case bytes.EqualFold(name, ccProxyRevalidate):
			cc.proxyRevalidate = true
		case bytes.EqualFold(name, ccStaleWhileRevalidate):
			cc.staleWhileRevalidate = deltaSeconds(arg)
		case bytes.EqualFold(name, ccStaleIfError):
			cc.staleIfError = deltaSeconds(arg)
		}
	}
}

var (
	ccNoStore        = []byte("no-store")
	ccNoCache        = []byte("no-cache")
	ccPrivate        = []byte("private")
	ccPublic         = []byte("public")
	ccMustRevalidate = []byte("must-revalidate")
	ccMaxAge         = []byte("max-age")
	ccSMaxAge        = []byte("s-maxage")

	ccProxyRevalidate      = []byte("proxy-revalidate")
	ccStaleWhileRevalidate = []byte("stale-while-revalidate")
	ccStaleIfError         = []byte("stale-if-error")
)

// deltaSeconds parses a non-negative decimal, saturating at ~68 years; an
// empty or malformed value is 0.
func deltaSeconds(b []byte) int64 {
	var n int64
	if len(b) == 0 {
		return 0
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		if n < 1<<31 {
			n = n*10 + int64(c-'0')
		}
	}
	return min(n, 1<<31)
}

// hasToken reports whether the comma-separated list v contains tok
// (case-insensitive). It does not allocate.
func hasToken(v, tok []byte) bool {
	for len(v) > 0 {
		var d []byte
		d, v = nextItem(v)
		if i := bytes.IndexByte(d, '='); i >= 0 {
			d = bytes.TrimSpace(d[:i])
		}
		if bytes.EqualFold(d, tok) {
			return true
		}
	}
	return false
}

// nextItem splits the first element off a comma-separated header list,
// trimmed of spaces, and returns it with the rest. It does not allocate.
func nextItem(v []byte) (item, rest []byte) {
	if i := bytes.IndexByte(v, ','); i >= 0 {
		return bytes.TrimSpace(v[:i]), v[i+1:]
	}
	return bytes.TrimSpace(v), nil
}
