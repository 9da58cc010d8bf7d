package proxy

import (
	"bytes"
	"iter"

	"github.com/valyala/fasthttp"
)

// header is what hop-by-hop stripping needs of fasthttp's request and
// response headers.
type header interface {
	Peek(key string) []byte
	Del(key string)
	DelBytes(key []byte)
	All() iter.Seq2[[]byte, []byte]
}

var hopByHop = [...]string{
	"Keep-Alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
	"Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
}

// stripHopByHop removes the hop-by-hop headers of RFC 9110 §7.6.1: every
// header named in any Connection field, Connection itself, the fixed list
// and any other Proxy-* header. Host and Content-Length are never removed
// by name: they are the message's own routing and framing (as with
// net/http's ReverseProxy, which cannot delete them either). buf is scratch
// space; the grown buffer is returned.
func stripHopByHop(h header, buf []byte) []byte {
	buf, found := scanHopHeaders(h, buf[:0])
	if len(buf) > 0 {
		for rest := buf; len(rest) > 0; {
			var tok []byte
			if i := bytes.IndexByte(rest, ','); i >= 0 {
				tok, rest = rest[:i], rest[i+1:]
			} else {
				tok, rest = rest, nil
			}
			tok = bytes.TrimSpace(tok)
			if len(tok) > 0 && !bytes.EqualFold(tok, strClose) && !bytes.EqualFold(tok, strKeepAlive) &&
				!equalFoldString(tok, "Host") && !equalFoldString(tok, "Content-Length") {
				h.DelBytes(tok)
			}
		}
		h.Del("Connection")
	}
	if !found {
		return buf // the common case: one pass over the names, nothing to delete
	}
	for _, k := range hopByHop {
		h.Del(k)
	}
	stripProxyHeaders(h)
	return buf
}

// scanHopHeaders appends the values of every Connection field to buf, each
// after a ',', and reports whether any header is in the fixed hop-by-hop
// list or starts with "Proxy-". It ranges over the concrete header types so
// nothing escapes.
func scanHopHeaders(h header, buf []byte) ([]byte, bool) {
	found := false
	switch t := h.(type) {
	case *fasthttp.RequestHeader:
		for k, v := range t.All() {
			buf = appendConnection(buf, k, v)
			found = found || isHopHeader(k)
		}
	case *fasthttp.ResponseHeader:
		for k, v := range t.All() {
			buf = appendConnection(buf, k, v)
			found = found || isHopHeader(k)
		}
	}
	return buf, found
}

func appendConnection(buf, k, v []byte) []byte {
	if equalFoldString(k, "Connection") {
		buf = append(append(buf, ','), v...)
	}
	return buf
}

func isHopHeader(k []byte) bool {
	if isProxyHeader(k) {
		return true
	}
	for _, name := range hopByHop {
		if len(k) == len(name) && equalFoldString(k, name) {
			return true
		}
	}
	return false
}

func isProxyHeader(k []byte) bool { return len(k) > 6 && bytes.EqualFold(k[:6], strProxyDash) }

// stripProxyHeaders is the rare path: a request carrying non-standard Proxy-*
// headers. It may allocate.
func stripProxyHeaders(h header) {
	var names [][]byte
	for k := range h.All() {
		if isProxyHeader(k) {
			names = append(names, append([]byte(nil), k...))
		}
	}
	for _, k := range names {
		h.DelBytes(k)
	}
}

var (
	strClose     = []byte("close")
	strKeepAlive = []byte("keep-alive")
	strProxyDash = []byte("proxy-")
)

var (
	_ header = (*fasthttp.RequestHeader)(nil)
	_ header = (*fasthttp.ResponseHeader)(nil)
)
