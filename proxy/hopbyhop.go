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
// header named in Connection, Connection itself, the fixed list and any
// other Proxy-* header. buf is scratch space; the grown buffer is returned.
func stripHopByHop(h header, buf []byte) []byte {
	if buf = appendConnection(h, buf[:0]); len(buf) > 0 {
		for rest := buf; len(rest) > 0; {
			var tok []byte
			if i := bytes.IndexByte(rest, ','); i >= 0 {
				tok, rest = rest[:i], rest[i+1:]
			} else {
				tok, rest = rest, nil
			}
			tok = bytes.TrimSpace(tok)
			if len(tok) > 0 && !bytes.EqualFold(tok, strClose) && !bytes.EqualFold(tok, strKeepAlive) {
				h.DelBytes(tok)
			}
		}
		h.Del("Connection")
	}
	if !hasHopHeader(h) {
		return buf // the common case: one pass over the names, nothing to delete
	}
	for _, k := range hopByHop {
		h.Del(k)
	}
	stripProxyHeaders(h)
	return buf
}

// appendConnection appends the values of every Connection header line,
// each followed by a comma: a client may split the list over several lines.
func appendConnection(h header, buf []byte) []byte {
	switch t := h.(type) {
	case *fasthttp.RequestHeader:
		for k, v := range t.All() {
			if equalFoldString(k, "Connection") {
				buf = append(append(buf, v...), ',')
			}
		}
	case *fasthttp.ResponseHeader:
		for k, v := range t.All() {
			if equalFoldString(k, "Connection") {
				buf = append(append(buf, v...), ',')
			}
		}
	}
	return buf
}

// hasHopHeader reports whether any header is in the fixed hop-by-hop list
// or starts with "Proxy-". It ranges over the concrete header types so
// nothing escapes.
func hasHopHeader(h header) bool {
	found := false
	switch t := h.(type) {
	case *fasthttp.RequestHeader:
		for k := range t.All() {
			found = found || isHopHeader(k)
		}
	case *fasthttp.ResponseHeader:
		for k := range t.All() {
			found = found || isHopHeader(k)
		}
	}
	return found
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
