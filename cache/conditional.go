package cache

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// Conditional requests from clients (RFC 9110 §13), answered from a stored
// response. The cache decides only what the stored response can decide:
//
//   - If-None-Match (weak comparison, §13.1.2) and, without it,
//     If-Modified-Since (§13.1.3, against the stored Last-Modified) turn a
//     hit on a stored 2xx into a 304 carrying the fields §15.4.5 asks for.
//     The precedence is §13.2.2's: If-None-Match present means
//     If-Modified-Since is not read.
//   - If-Match and If-Unmodified-Since (§13.1.1, §13.1.4) guard state and
//     are only necessary at the origin, so a request carrying either is
//     forwarded around the cache (Bypass) and the origin decides, 412 or
//     not; its answer is not stored.
//
// On a miss the client's conditionals are forwarded with the request: the
// origin's 304 goes to the client and is not stored (only a 304 to the
// cache's own revalidation updates an entry).

var (
	hdrIfNoneMatch       = []byte(fasthttp.HeaderIfNoneMatch)
	hdrIfModifiedSince   = []byte(fasthttp.HeaderIfModifiedSince)
	hdrIfMatch           = []byte(fasthttp.HeaderIfMatch)
	hdrIfUnmodifiedSince = []byte(fasthttp.HeaderIfUnmodifiedSince)
	hdrETag              = []byte(fasthttp.HeaderETag)
	hdrLastModified      = []byte(fasthttp.HeaderLastModified)
)

// notModifiedFields are the stored fields a 304 carries (RFC 9110
// §15.4.5: those a 200 would have sent among Cache-Control,
// Content-Location, Date, ETag, Expires and Vary, plus Last-Modified, which
// guides the client's cache update). Representation metadata such as
// Content-Type stays out: the client keeps its own.
var notModifiedFields = [][]byte{
	hdrCacheCtl, []byte(fasthttp.HeaderContentLocation), []byte(fasthttp.HeaderDate),
	hdrETag, []byte(fasthttp.HeaderExpires), hdrVary, hdrLastModified,
}

// mayBeConditional reports whether req may carry a field the hit path
// answers from (If-None-Match, If-Modified-Since, If-Match,
// If-Unmodified-Since, If-Range, Range): whether a line of its header as
// received starts with "If-" or "Range" (any case). Most requests carry
// none, and one pass over the raw bytes costs less than the five field
// lookups it spares on every hit. A request built in process (no raw
// header) is looked at field by field. The gateway sets such fields itself
// only after the lookup (a revalidation's), never before it.
func mayBeConditional(req *fasthttp.Request) bool {
	raw := req.Header.RawHeaders()
	if len(raw) == 0 {
		return true
	}
	for {
		if len(raw) >= 3 && raw[0]|0x20 == 'i' && raw[1]|0x20 == 'f' && raw[2] == '-' ||
			len(raw) >= 5 && raw[0]|0x20 == 'r' && raw[1]|0x20 == 'a' && raw[2]|0x20 == 'n' && raw[3]|0x20 == 'g' && raw[4]|0x20 == 'e' {
			return true
		}
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			return false
		}
		raw = raw[i+1:]
	}
}

// originConditional reports whether req carries a precondition the cache
// leaves to the origin (If-Match, If-Unmodified-Since).
func originConditional(req *fasthttp.Request) bool {
	return len(req.Header.PeekBytes(hdrIfMatch)) > 0 || len(req.Header.PeekBytes(hdrIfUnmodifiedSince)) > 0
}

// notModified reports whether a GET or HEAD answered with e is a 304
// (RFC 9110 §13.2.2 steps 3 and 4). Preconditions are ignored on a response
// that is not 2xx (§13.2.1), and a header the cache cannot read (a
// malformed entity-tag list, a date that is not an IMF-fixdate) leaves the
// full response, which is always a correct answer. It does not allocate.
func notModified(req *fasthttp.Request, e *entry) bool {
	if e.status < 200 || e.status > 299 {
		return false
	}
	if inm := req.Header.PeekBytes(hdrIfNoneMatch); len(inm) > 0 {
		return etagListMatches(inm, storedField(e, hdrETag))
	}
	ims := req.Header.PeekBytes(hdrIfModifiedSince)
	if len(ims) == 0 {
		return false
	}
	since, ok := parseHTTPDate(ims)
	if !ok {
		return false
	}
	lm, ok := parseHTTPDate(storedField(e, hdrLastModified))
	return ok && lm <= since
}

// writeNotModified writes e as a 304: status, the notModifiedFields stored,
// no body (fasthttp sends no Content-Length on a 304).
func writeNotModified(resp *fasthttp.Response, e *entry) {
	resp.SetStatusCode(fasthttp.StatusNotModified)
	for i := range e.hdrs {
		for _, n := range notModifiedFields {
			if bytes.EqualFold(e.hdrs[i].name, n) {
				resp.Header.AddBytesKV(e.hdrs[i].name, e.hdrs[i].value)
				break
			}
		}
	}
	resp.SkipBody = true
}

// storedField is the value of e's first stored header named name, or nil.
func storedField(e *entry, name []byte) []byte {
	for i := range e.hdrs {
		if bytes.EqualFold(e.hdrs[i].name, name) {
			return e.hdrs[i].value
		}
	}
	return nil
}

// etagListMatches evaluates an If-None-Match value against the stored ETag
// with the weak comparison (RFC 9110 §8.8.3.2): "*" matches any stored
// response; otherwise one listed entity-tag must have the stored one's
// opaque-tag, whatever their W/ prefixes. A malformed list matches nothing.
func etagListMatches(list, etag []byte) bool {
	if t := bytes.TrimSpace(list); len(t) == 1 && t[0] == '*' {
		return true
	}
	stored, ok := opaqueTag(bytes.TrimSpace(etag))
	if !ok {
		return false
	}
	for len(list) > 0 {
		list = bytes.TrimLeft(list, " \t,")
		if len(list) == 0 {
			break
		}
		if len(list) >= 2 && list[0] == 'W' && list[1] == '/' {
			list = list[2:]
		}
		if len(list) == 0 || list[0] != '"' {
			return false
		}
		end := bytes.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		if bytes.Equal(list[:end+2], stored) {
			return true
		}
		list = list[end+2:]
	}
	return false
}

// opaqueTag strips an entity-tag's W/ prefix; the rest must be quoted.
func opaqueTag(t []byte) ([]byte, bool) {
	if len(t) >= 2 && t[0] == 'W' && t[1] == '/' {
		t = t[2:]
	}
	if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' || bytes.IndexByte(t[1:len(t)-1], '"') >= 0 {
		return nil, false
	}
	return t, true
}

// parseHTTPDate reads an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT",
// RFC 9110 §5.6.7) as unix seconds without allocating (time.Parse
// allocates a zone for "GMT"). The obsolete RFC 850 and asctime forms are
// not read: a precondition the cache cannot read leaves the full response.
func parseHTTPDate(b []byte) (int64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) != 29 || b[3] != ',' || b[4] != ' ' || b[7] != ' ' || b[11] != ' ' ||
		b[16] != ' ' || b[19] != ':' || b[22] != ':' || b[25] != ' ' || string(b[26:]) != "GMT" {
		return 0, false
	}
	day, ok1 := digits(b[5:7])
	year, ok2 := digits(b[12:16])
	hh, ok3 := digits(b[17:19])
	mm, ok4 := digits(b[20:22])
	ss, ok5 := digits(b[23:25])
	month := monthIndex(b[8:11])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || month == 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 {
		return 0, false
	}
	return daysFromCivil(year, month, day)*86400 + hh*3600 + mm*60 + ss, true
}

func digits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

const monthNames = "JanFebMarAprMayJunJulAugSepOctNovDec"

// monthIndex is 1 for "Jan" through 12 for "Dec" (case-sensitive, as
// §5.6.7 writes them), 0 otherwise.
func monthIndex(b []byte) int64 {
	for i := 0; i < 12; i++ {
		if string(b) == monthNames[3*i:3*i+3] {
			return int64(i + 1)
		}
	}
	return 0
}

// daysFromCivil is the number of days from 1970-01-01 to the proleptic
// Gregorian date y-m-d (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
