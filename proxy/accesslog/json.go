package accesslog

import (
	"strconv"
	"unsafe"
)

// appendJSON appends r as the JSON object of every variable, in
// Variables' order, written out in one straight line rather than a loop
// dispatching on each of the 22 variables, because the writer formats
// every line of a busy log (1.6% less CPU per request over sockets than
// the loop: bench/RESULTS.md). Each key is written with the quotes around
// it and its string value. Whether the values need escaping is asked
// once for the record's whole text (jsonClean, eight bytes at a step) and
// once for each distinct string of the other fields (cleanMemo: they are
// the rules' patterns and backends' URLs, the same on most lines), so a
// value costs one copy of its bytes, nearly always. TestJSONLineFields
// checks every key, its value and the order against Variables.
func (f *formatter) appendJSON(dst []byte, r *Record) []byte {
	clean := jsonClean(r.text[:r.n]) // every text field, the query (redacted or not) included
	dst = append(dst, `{"time":"`...)
	dst = f.appendTime(dst, r.Time, "2006-01-02T15:04:05")
	dst = append(dst, `","request_id":"`...)
	dst = appendJSONField(dst, r.Get(RequestID), clean)
	dst = append(dst, `","client_ip":"`...)
	dst = appendJSONField(dst, r.Get(ClientIP), clean)
	dst = append(dst, `","method":"`...)
	dst = appendJSONField(dst, r.Get(Method), clean)
	dst = append(dst, `","host":"`...)
	dst = appendJSONField(dst, r.Get(Host), clean)
	dst = append(dst, `","path":"`...)
	dst = appendJSONField(dst, r.Get(Path), clean)
	dst = append(dst, `","query":"`...)
	dst = appendJSONField(dst, f.query(r), clean)
	dst = append(dst, `","proto":"`...)
	dst = appendJSONField(dst, r.Get(Proto), clean)
	dst = append(dst, `","status":`...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, `,"bytes_in":`...)
	dst = strconv.AppendInt(dst, r.BytesIn, 10)
	dst = append(dst, `,"bytes_out":`...)
	dst = strconv.AppendInt(dst, r.BytesOut, 10)
	dst = append(dst, `,"duration_ms":`...)
	dst = appendMillis(dst, r.Duration)
	dst = append(dst, `,"upstream":"`...)
	dst = appendJSONField(dst, r.Upstream, f.clean[0].is(r.Upstream))
	dst = append(dst, `","upstream_ms":`...)
	dst = appendMillis(dst, r.UpstreamTime)
	dst = append(dst, `,"rule":"`...)
	dst = appendJSONField(dst, r.Rule, f.clean[1].is(r.Rule))
	dst = append(dst, `","cache":"`...)
	dst = appendJSONField(dst, r.Cache, f.clean[2].is(r.Cache))
	dst = append(dst, `","limited":`...)
	dst = strconv.AppendBool(dst, r.Limited)
	dst = append(dst, `,"retries":`...)
	dst = strconv.AppendInt(dst, int64(r.Retries), 10)
	dst = append(dst, `,"consumer":"`...)
	dst = appendJSONField(dst, r.Consumer, f.clean[3].is(r.Consumer))
	dst = append(dst, `","user_agent":"`...)
	dst = appendJSONField(dst, r.Get(UserAgent), clean)
	dst = append(dst, `","referer":"`...)
	dst = appendJSONField(dst, r.Get(Referer), clean)
	dst = append(dst, `","tls":"`...)
	dst = appendJSONField(dst, r.TLS, f.clean[4].is(r.TLS))
	return append(dst, `"}`...)
}

// appendJSONField appends b as the inside of a JSON string: as it is when
// clean, else escaped.
func appendJSONField[T string | []byte](dst []byte, b T, clean bool) []byte {
	if clean {
		return append(dst, b...)
	}
	return appendJSONText(dst, b)
}

// cleanMemo remembers the last string jsonClean passed for one field. It
// holds the string itself, so its memory cannot be freed and reused for
// another string of the same length while it is remembered: the same
// address and length are then the same bytes.
type cleanMemo struct{ s string }

// is reports whether s needs no JSON escaping.
func (m *cleanMemo) is(s string) bool {
	if len(s) == len(m.s) && unsafe.StringData(s) == unsafe.StringData(m.s) {
		return true
	}
	if !jsonClean(unsafe.Slice(unsafe.StringData(s), len(s))) { // read only
		return false
	}
	m.s = s
	return true
}
