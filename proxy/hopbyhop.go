package proxy

import (
	"bytes"
	"iter"
	"strings"

	"github.com/valyala/fasthttp"
)

// header is what hop-by-hop stripping needs of fasthttp's request and
// response headers.
type header interface {
	Peek(key string) []byte
	Del(key string)
	DelBytes(key []byte)
	Add(key, value string)
	All() iter.Seq2[[]byte, []byte]
}

var hopByHop = [...]string{
	"Keep-Alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
	"Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
}

// stripHopByHop removes the hop-by-hop headers of RFC 9110 §7.6.1 from a
// backend's response (prepareRequest does it for requests, in its own
// pass over the fields): see hopScan.drop. buf is scratch space; the
// grown buffer is returned.
//
// In the same pass it counts the fields named id (the request ID header,
// nil when request IDs are off): a backend sending that header more than
// once has every copy removed here, so the one the gateway sets later
// (answerID, by replacing the first) is the only one the client sees, on
// this answer and on every cache hit made from it.
func stripHopByHop(h *fasthttp.ResponseHeader, buf, id []byte) []byte {
	s := hopScan{conn: buf[:0]}
	ids := 0
	for k, v := range h.All() {
		s.field(k, v)
		if len(id) > 0 && len(k) == len(id) && bytes.EqualFold(k, id) {
			ids++
		}
	}
	s.drop(h)
	if ids > 1 {
		h.DelBytes(id)
	}
	return s.conn
}

// hopScan is what one pass over a message's fields finds for hop-by-hop
// stripping.
type hopScan struct {
	conn     []byte // every Connection value, each after a ','
	found    bool   // a header of the fixed hop-by-hop list
	proxy    bool   // another header starting with "Proxy-"
	repeated bool   // a name may repeat
	trailer  bool   // a Trailer field: the request has a trailer section
	names    nameSet
}

func (s *hopScan) field(k, v []byte) {
	s.conn = appendConnection(s.conn, k, v)
	fixed := isFixedHopHeader(k)
	s.found = s.found || fixed
	s.trailer = s.trailer || fixed && equalFoldString(k, fasthttp.HeaderTrailer)
	s.proxy = s.proxy || !fixed && isProxyHeader(k)
	s.repeated = s.names.add(k) || s.repeated
}

// drop removes every header named in any Connection field, Connection
// itself, the fixed list and any other Proxy-* header. Host and
// Content-Length are never removed by name: they are the message's own
// routing and framing (as with net/http's ReverseProxy, which cannot
// delete them either). Fields repeated under one name keep their order.
func (s *hopScan) drop(h header) {
	if len(s.conn) == 0 && !s.found && !s.proxy {
		return // the common case: nothing to delete
	}
	var saved []savedField
	if s.repeated {
		// fasthttp's Del moves the last header into the deleted one's
		// place, which would reorder repeated fields (X-Forwarded-For...).
		saved = saveRepeated(h, s.conn)
	}
	if len(s.conn) > 0 {
		for rest := s.conn; len(rest) > 0; {
			var tok []byte
			tok, rest = nextToken(rest)
			if len(tok) > 0 && !bytes.EqualFold(tok, strClose) && !bytes.EqualFold(tok, strKeepAlive) &&
				!equalFoldString(tok, "Host") && !equalFoldString(tok, "Content-Length") {
				h.DelBytes(tok)
			}
		}
		h.Del("Connection")
	}
	if s.found {
		for _, k := range hopByHop {
			h.Del(k)
		}
	}
	if s.proxy {
		stripProxyHeaders(h)
	}
	restoreRepeated(h, saved)
}

// nextToken splits the first comma-separated element, trimmed, off list.
func nextToken(list []byte) (tok, rest []byte) {
	if i := bytes.IndexByte(list, ','); i >= 0 {
		return bytes.TrimSpace(list[:i]), list[i+1:]
	}
	return bytes.TrimSpace(list), nil
}

// nameSet remembers up to 32 header names (slices into the header, valid
// until it changes) to tell whether one repeats.
type nameSet struct {
	n     int
	names [32][]byte
}

// add reports whether k was already seen — or may have been, past 32 names.
func (s *nameSet) add(k []byte) bool {
	for _, seen := range s.names[:s.n] {
		if len(seen) == len(k) && bytes.EqualFold(seen, k) {
			return true
		}
	}
	if s.n == len(s.names) {
		return true
	}
	s.names[s.n] = k
	s.n++
	return false
}

// eachField calls f for every field of h; a request's are read without
// parsing its cookies (see requestfields.go).
func eachField(h header, f func(k, v []byte)) {
	if rh, ok := h.(*fasthttp.RequestHeader); ok {
		eachRequestField(rh, f)
		return
	}
	for k, v := range h.All() {
		f(k, v)
	}
}

type savedField struct{ key, value string }

// saveRepeated copies, in order, the fields whose name repeats and that
// stay (not hop-by-hop, not named in the comma-separated list gone).
// Rare path: it allocates.
func saveRepeated(h header, gone []byte) []savedField {
	count := map[string]int{}
	eachField(h, func(k, _ []byte) { count[string(bytes.ToLower(k))]++ })
	var saved []savedField
	eachField(h, func(k, v []byte) {
		if count[string(bytes.ToLower(k))] > 1 && !isHopHeader(k) && !equalFoldString(k, "Connection") && !listNames(gone, k) {
			saved = append(saved, savedField{string(k), string(v)})
		}
	})
	return saved
}

// delKeepOrder deletes every key field. fasthttp's Del moves the last
// header into each gap, which only matters when names repeat (repeated):
// then the other repeated fields are put back in their order. Rare path:
// it allocates.
func delKeepOrder(h *fasthttp.RequestHeader, key string, repeated bool) {
	if !repeated {
		h.Del(key)
		return
	}
	present := false
	eachRequestField(h, func(k, _ []byte) { present = present || equalFoldString(k, key) })
	if !present {
		return
	}
	saved := saveRepeated(h, []byte(key))
	h.Del(key)
	restoreRepeated(h, saved)
}

// restoreRepeated puts the saved repeated fields back in their order.
func restoreRepeated(h header, saved []savedField) {
	done := map[string]bool{}
	for _, f := range saved {
		if name := strings.ToLower(f.key); !done[name] {
			done[name] = true
			h.Del(f.key)
		}
	}
	for _, f := range saved {
		addRaw(h, f.key, f.value)
	}
}

// addRaw adds a field as it is. A request's Cookie line is added with
// fasthttp's special headers off, which would otherwise parse it into
// cookies and write them back re-serialised (see requestfields.go).
func addRaw(h header, k, v string) {
	if rh, ok := h.(*fasthttp.RequestHeader); ok && strings.EqualFold(k, "Cookie") {
		if !rh.DisableSpecialHeader() {
			defer rh.EnableSpecialHeader()
		}
	}
	h.Add(k, v)
}

// listNames reports whether the comma-separated list names k.
func listNames(list, k []byte) bool {
	for rest := list; len(rest) > 0; {
		var tok []byte
		tok, rest = nextToken(rest)
		if bytes.EqualFold(tok, k) {
			return true
		}
	}
	return false
}

func appendConnection(buf, k, v []byte) []byte {
	if equalFoldString(k, "Connection") {
		buf = append(append(buf, ','), v...)
	}
	return buf
}

func isHopHeader(k []byte) bool { return isProxyHeader(k) || isFixedHopHeader(k) }

func isFixedHopHeader(k []byte) bool {
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
	eachField(h, func(k, _ []byte) {
		if isProxyHeader(k) {
			names = append(names, append([]byte(nil), k...))
		}
	})
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
