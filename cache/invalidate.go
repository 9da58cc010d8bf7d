package cache

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// Invalidation (RFC 9111 §4.4): a non-error answer to an unsafe method
// means the origin state behind the target URI, and behind the Location
// and Content-Location it names on the same origin, may have changed. The
// gateway maps each such URI to the key a GET for it would be stored under
// and removes it with PurgeKey (memory, Redis and the other instances).

// UnsafeMethod reports whether req's method is not safe (RFC 9110 §9.2.1:
// GET, HEAD, OPTIONS and TRACE are; so are the WebDAV reads PROPFIND and
// REPORT). An unknown method counts as unsafe.
func UnsafeMethod(req *fasthttp.Request) bool {
	switch string(req.Header.Method()) {
	case fasthttp.MethodGet, fasthttp.MethodHead, fasthttp.MethodOptions, fasthttp.MethodTrace, "PROPFIND", "REPORT":
		return false
	}
	return true
}

// Invalidates reports whether resp, the answer to an unsafe request,
// invalidates stored responses: a 2xx or 3xx status (§4.4's non-error
// status).
func Invalidates(resp *fasthttp.Response) bool {
	s := resp.StatusCode()
	return s >= 200 && s < 400
}

// SameOriginTarget returns the origin-form target (path and query, no
// fragment) that ref — a Location or Content-Location value — names on
// host, the authority the request was sent to; ok is false for another
// host, another scheme or an unreadable reference. reqPath resolves a
// relative-path reference ("b/c" from "/a/x" is "/a/b/c"); dot segments are
// left for the gateway's path normalisation. dst is reused for the result.
// The scheme is not compared with the request's (a gateway behind a TLS
// terminator sees http): invalidating an http and https pair of the same
// host errs on the side of a refetch.
func SameOriginTarget(dst, ref, host, reqPath []byte) (target []byte, ok bool) {
	ref = bytes.TrimSpace(ref)
	if i := bytes.IndexByte(ref, '#'); i >= 0 {
		ref = ref[:i]
	}
	if len(ref) == 0 {
		return dst, false
	}
	var defPort string
	switch {
	case hasPrefixFold(ref, "http://"):
		ref, defPort = ref[len("http://"):], ":80"
	case hasPrefixFold(ref, "https://"):
		ref, defPort = ref[len("https://"):], ":443"
	case len(ref) >= 2 && ref[0] == '/' && ref[1] == '/':
		ref = ref[2:]
	case ref[0] == '/':
		return append(dst, ref...), true
	default:
		if i := bytes.IndexAny(ref, ":/?"); i >= 0 && ref[i] == ':' {
			return dst, false // another scheme (mailto:, ftp:, urn:)
		}
		dir := reqPath[:bytes.LastIndexByte(reqPath, '/')+1]
		if len(dir) == 0 {
			dir = []byte("/")
		}
		return append(append(dst, dir...), ref...), true
	}
	end := bytes.IndexAny(ref, "/?")
	if end < 0 {
		end = len(ref)
	}
	auth := ref[:end]
	if defPort != "" && len(auth) > len(defPort) && string(auth[len(auth)-len(defPort):]) == defPort {
		auth = auth[:len(auth)-len(defPort)]
	}
	if defPort != "" && len(host) > len(defPort) && string(host[len(host)-len(defPort):]) == defPort {
		host = host[:len(host)-len(defPort)]
	}
	if len(auth) == 0 || !bytes.EqualFold(auth, host) {
		return dst, false
	}
	path := ref[end:] // "", "/..." or "?..."
	if len(path) == 0 || path[0] == '?' {
		dst = append(dst, '/')
	}
	return append(dst, path...), true
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
