package proxy

import "strings"

// originAllowed reports whether origin matches one of allowed (see
// config.WebSocket.AllowedOrigins). An empty list allows everything.
func originAllowed(allowed []string, origin []byte) bool {
	if len(allowed) == 0 {
		return true
	}
	if len(origin) == 0 {
		return false
	}
	origin = trimSlash(origin)
	for _, a := range allowed {
		if a == "*" {
			return true
		}
		a = strings.TrimSuffix(a, "/")
		if i := strings.Index(a, "://*."); i >= 0 {
			// scheme://*.domain matches scheme://x.domain, scheme://x.y.domain.
			scheme, domain := a[:i+3], a[i+4:] // "scheme://", ".domain"
			if len(origin) > len(scheme)+len(domain) &&
				equalFoldString(origin[:len(scheme)], scheme) &&
				equalFoldString(origin[len(origin)-len(domain):], domain) {
				return true
			}
			continue
		}
		if equalFoldString(origin, a) {
			return true
		}
	}
	return false
}

func trimSlash(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '/' {
		return b[:len(b)-1]
	}
	return b
}
