package cache

import (
	"bytes"
	"strconv"

	"github.com/valyala/fasthttp"
)

// Range requests (RFC 9110 §14) on a hit are served from the complete
// stored 200: one byte range becomes a 206 with Content-Range, a range
// past the end a 416. Several ranges, another unit or a Range the cache
// cannot read get the whole 200, which §14.2 allows ("a server MAY ignore
// the Range header field"). If-Range (§13.1.5) must match the stored
// response exactly (a strong ETag, or the Last-Modified date itself) for
// the range to be served; otherwise the whole 200 goes out.
//
// On a miss the Range (and If-Range) go to the origin as sent, and its
// 206 reaches the client without being stored (store.go refuses partial
// content): a range of a large object is answered at the origin's pace,
// never after fetching the whole body first.

var (
	hdrRange   = []byte(fasthttp.HeaderRange)
	hdrIfRange = []byte(fasthttp.HeaderIfRange)
)

// writeRange answers a GET with a single satisfiable byte Range from e as a
// 206, or an unsatisfiable one as a 416, and reports whether it did. It
// does not allocate.
func writeRange(ctx *fasthttp.RequestCtx, e *entry) bool {
	req := &ctx.Request
	if e.status != fasthttp.StatusOK || !req.Header.IsGet() {
		return false // range handling is defined for GET only (§14.2)
	}
	spec := req.Header.PeekBytes(hdrRange)
	if len(spec) == 0 {
		return false
	}
	if ir := req.Header.PeekBytes(hdrIfRange); len(ir) > 0 && !ifRangeMatches(ir, e) {
		return false
	}
	size := int64(len(e.body))
	first, last, ok := parseByteRange(spec, size)
	if !ok {
		return false
	}
	resp := &ctx.Response
	var num [64]byte
	b := append(num[:0], "bytes "...)
	if first < 0 { // unsatisfiable (§15.5.17)
		resp.SetStatusCode(fasthttp.StatusRequestedRangeNotSatisfiable)
		b = append(b, "*/"...)
		b = strconv.AppendInt(b, size, 10)
		resp.Header.SetCanonical(hdrContentRange, b)
		resp.SetBodyRaw(nil)
		return true
	}
	resp.SetStatusCode(fasthttp.StatusPartialContent)
	for i := range e.hdrs {
		resp.Header.AddBytesKV(e.hdrs[i].name, e.hdrs[i].value)
	}
	b = strconv.AppendInt(b, first, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, last, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, size, 10)
	resp.Header.SetCanonical(hdrContentRange, b)
	resp.SetBodyRaw(e.body[first : last+1])
	return true
}

// parseByteRange reads a Range value holding one byte range against a
// representation of size bytes. ok false: not one readable byte range (the
// whole response is sent). first < 0 with ok: the range is unsatisfiable.
func parseByteRange(spec []byte, size int64) (first, last int64, ok bool) {
	spec = bytes.TrimSpace(spec)
	const unit = "bytes="
	if len(spec) <= len(unit) || !bytes.EqualFold(spec[:len(unit)], []byte(unit)) {
		return 0, 0, false
	}
	spec = bytes.TrimSpace(spec[len(unit):])
	if bytes.IndexByte(spec, ',') >= 0 {
		return 0, 0, false // several ranges: the whole 200
	}
	dash := bytes.IndexByte(spec, '-')
	if dash < 0 {
		return 0, 0, false
	}
	a, b := bytes.TrimSpace(spec[:dash]), bytes.TrimSpace(spec[dash+1:])
	if len(a) == 0 { // suffix: the last n bytes
		n, ok := rangeInt(b)
		if !ok {
			return 0, 0, false
		}
		if n == 0 || size == 0 {
			return -1, 0, true
		}
		return max(size-n, 0), size - 1, true
	}
	first, ok = rangeInt(a)
	if !ok {
		return 0, 0, false
	}
	last = size - 1
	if len(b) > 0 {
		if last, ok = rangeInt(b); !ok || last < first {
			return 0, 0, false // invalid: ignored (§14.1.1)
		}
		last = min(last, size-1)
	}
	if first >= size {
		return -1, 0, true
	}
	return first, last, true
}

// rangeInt parses 1*DIGIT, refusing values past 2^62.
func rangeInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	return digits(b)
}

// ifRangeMatches evaluates If-Range against e (§13.1.5): an entity-tag
// must equal the stored ETag by the strong comparison (a weak tag never
// matches); a date must be the stored Last-Modified exactly.
func ifRangeMatches(v []byte, e *entry) bool {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && (v[0] == '"' || v[0] == 'W') {
		etag := bytes.TrimSpace(storedField(e, hdrETag))
		return len(v) > 1 && v[0] == '"' && len(etag) > 1 && etag[0] == '"' && bytes.Equal(v, etag)
	}
	since, ok := parseHTTPDate(v)
	if !ok {
		return false
	}
	lm, ok := parseHTTPDate(storedField(e, hdrLastModified))
	return ok && lm == since
}
