package accesslog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Formats besides a template.
const (
	FormatJSON     = "json"
	FormatCombined = "combined"
)

// Variables are the names a template may use ({name}) and the JSON
// object's keys, in the JSON object's order.
var Variables = []string{
	"time", "request_id", "client_ip", "method", "host", "path", "query", "proto",
	"status", "bytes_in", "bytes_out", "duration_ms", "upstream", "upstream_ms",
	"rule", "cache", "limited", "retries", "consumer", "user_agent", "referer", "tls",
}

// variable is one of Variables, by index.
type variable uint8

const (
	vTime variable = iota
	vRequestID
	vClientIP
	vMethod
	vHost
	vPath
	vQuery
	vProto
	vStatus
	vBytesIn
	vBytesOut
	vDurationMs
	vUpstream
	vUpstreamMs
	vRule
	vCache
	vLimited
	vRetries
	vConsumer
	vUserAgent
	vReferer
	vTLS
	numVariables
)

var textField = map[variable]Field{
	vRequestID: RequestID, vClientIP: ClientIP, vMethod: Method, vHost: Host, vPath: Path,
	vQuery: Query, vProto: Proto, vUserAgent: UserAgent, vReferer: Referer,
}

// ErrFormat wraps a format Open cannot use.
var ErrFormat = errors.New("access log format")

// part is a template's literal text or a variable.
type part struct {
	lit string
	v   variable
	isV bool
}

// formatter turns records into lines.
type formatter struct {
	kind    string // FormatJSON, FormatCombined, or "" for a template
	parts   []part
	secrets []string // query parameters whose values are never written
	isText  [numVariables]bool
	field   [numVariables]Field
	scratch []byte // the redacted query (the writer's goroutine only)
	// sec and secText cache the formatted time up to the second, which
	// every line of that second shares.
	sec     int64
	secText []byte
	layout  string
	// clean remembers the last clean upstream, rule, cache, consumer and
	// TLS strings (appendJSON).
	clean [5]cleanMemo
}

// CheckFormat reports whether format is json, combined or a template of
// known variables (the configuration checks it when it is loaded).
func CheckFormat(format string) error {
	_, err := newFormatter(format, nil)
	return err
}

func newFormatter(format string, secrets []string) (*formatter, error) {
	f := &formatter{secrets: secrets, sec: -1, scratch: make([]byte, 0, fieldMax[Query])}
	for v, fl := range textField {
		f.isText[v], f.field[v] = true, fl
	}
	switch format {
	case FormatJSON, FormatCombined:
		f.kind = format
		return f, nil
	}
	lit := 0
	for i := 0; i < len(format); i++ {
		switch format[i] {
		case '}':
			return nil, fmt.Errorf("%w %q: unbalanced '}' at offset %d", ErrFormat, format, i)
		case '{':
			end := strings.IndexAny(format[i+1:], "{}")
			if end < 0 || format[i+1+end] != '}' {
				return nil, fmt.Errorf("%w %q: unbalanced '{' at offset %d", ErrFormat, format, i)
			}
			name := format[i+1 : i+1+end]
			idx := -1
			for j, n := range Variables {
				if n == name {
					idx = j
				}
			}
			if idx < 0 {
				return nil, fmt.Errorf("%w %q: unknown variable {%s} (known: %s)", ErrFormat, format, name, strings.Join(Variables, ", "))
			}
			if i > lit {
				f.parts = append(f.parts, part{lit: format[lit:i]})
			}
			f.parts = append(f.parts, part{v: variable(idx), isV: true})
			i += end + 1
			lit = i + 1
		}
	}
	if lit < len(format) {
		f.parts = append(f.parts, part{lit: format[lit:]})
	}
	return f, nil
}

// appendLine appends r's line, newline included.
func (f *formatter) appendLine(dst []byte, r *Record) []byte {
	r.expand()
	switch f.kind {
	case FormatJSON:
		dst = f.appendJSON(dst, r)
	case FormatCombined:
		dst = f.appendCombined(dst, r)
	default:
		for _, p := range f.parts {
			if !p.isV {
				dst = append(dst, p.lit...)
				continue
			}
			dst = f.appendValue(dst, r, p.v)
		}
	}
	return append(dst, '\n')
}

// appendValue appends variable v of r for a template: text escaped as the
// combined format does ("-" for an empty text). The JSON object is
// appendJSON's.
func (f *formatter) appendValue(dst []byte, r *Record, v variable) []byte {
	switch {
	case v == vQuery:
		return appendOrDash(dst, f.query(r))
	case f.isText[v]:
		return appendOrDash(dst, r.Get(f.field[v]))
	}
	switch v {
	case vTime:
		return f.appendTime(dst, r.Time, "2006-01-02T15:04:05")
	case vStatus:
		return strconv.AppendInt(dst, int64(r.Status), 10)
	case vBytesIn:
		return strconv.AppendInt(dst, r.BytesIn, 10)
	case vBytesOut:
		return strconv.AppendInt(dst, r.BytesOut, 10)
	case vDurationMs:
		return appendMillis(dst, r.Duration)
	case vUpstreamMs:
		return appendMillis(dst, r.UpstreamTime)
	case vUpstream:
		return appendOrDash(dst, r.Upstream)
	case vRule:
		return appendOrDash(dst, r.Rule)
	case vCache:
		return appendOrDash(dst, r.Cache)
	case vConsumer:
		return appendOrDash(dst, r.Consumer)
	case vTLS:
		return appendOrDash(dst, r.TLS)
	case vLimited:
		return strconv.AppendBool(dst, r.Limited)
	case vRetries:
		return strconv.AppendInt(dst, int64(r.Retries), 10)
	}
	return dst
}

// appendTime appends t in UTC as layout (to the second) then ".mmmZ", the
// part to the second formatted once per second.
func (f *formatter) appendTime(dst []byte, t time.Time, layout string) []byte {
	t = t.UTC()
	if s := t.Unix(); s != f.sec || layout != f.layout {
		f.sec, f.layout = s, layout
		f.secText = t.AppendFormat(f.secText[:0], layout)
	}
	ms := t.Nanosecond() / 1e6
	return append(append(dst, f.secText...), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

// appendMillis appends d in milliseconds with microsecond precision: the
// shortest decimal of float64(µs)/1000 ("1.5", "0.004", "12"), written
// from the integer microseconds. Below maxExactMicros the two are the same
// text (the float's spacing there is far finer than 0.001, so no shorter
// decimal names it); beyond, and for a negative d, the float is formatted.
func appendMillis(dst []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 || us >= maxExactMicros {
		return strconv.AppendFloat(dst, float64(us)/1000, 'f', -1, 64)
	}
	dst = strconv.AppendInt(dst, us/1000, 10)
	frac := us % 1000
	if frac == 0 {
		return dst
	}
	dst = append(dst, '.', byte('0'+frac/100))
	if frac%100 != 0 {
		dst = append(dst, byte('0'+frac/10%10))
		if frac%10 != 0 {
			dst = append(dst, byte('0'+frac%10))
		}
	}
	return dst
}

// maxExactMicros bounds appendMillis's integer path: 10^12 µs, 11.6 days.
const maxExactMicros = 1_000_000_000_000

// query is r's query with the secret parameters' values redacted; r's own
// bytes when it names none (most lines: no copy).
func (f *formatter) query(r *Record) []byte {
	q := r.Get(Query)
	if !hasSecret(q, f.secrets) {
		return q
	}
	f.scratch = redactQuery(f.scratch[:0], q, f.secrets)
	return f.scratch
}

// hasSecret reports whether query q has a parameter named in secrets.
func hasSecret(q []byte, secrets []string) bool {
	if len(secrets) == 0 {
		return false
	}
	for len(q) > 0 {
		pair := q
		q = nil
		if i := bytes.IndexByte(pair, '&'); i >= 0 {
			pair, q = pair[:i], pair[i+1:]
		}
		if eq := bytes.IndexByte(pair, '='); eq >= 0 && isSecret(pair[:eq], secrets) {
			return true
		}
	}
	return false
}

// appendCombined appends nginx's combined format:
// $remote_addr - $remote_user [$time_local] "$request" $status
// $body_bytes_sent "$http_referer" "$http_user_agent"
// with the consumer as the remote user and the time in UTC.
func (f *formatter) appendCombined(dst []byte, r *Record) []byte {
	dst = appendOrDash(dst, r.Get(ClientIP))
	dst = append(dst, " - "...)
	if r.Consumer != "" {
		dst = appendEscaped(dst, r.Consumer)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, " ["...)
	dst = r.Time.UTC().AppendFormat(dst, "02/Jan/2006:15:04:05 -0700")
	dst = append(dst, "] \""...)
	dst = appendEscaped(dst, r.Get(Method))
	dst = append(dst, ' ')
	dst = appendEscaped(dst, r.Get(Path))
	if q := f.query(r); len(q) > 0 {
		dst = append(dst, '?')
		dst = appendEscaped(dst, q)
	}
	dst = append(dst, ' ')
	dst = appendEscaped(dst, r.Get(Proto))
	dst = append(dst, "\" "...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, r.BytesOut, 10)
	dst = append(dst, " \""...)
	dst = appendOrDash(dst, r.Get(Referer))
	dst = append(dst, "\" \""...)
	dst = appendOrDash(dst, r.Get(UserAgent))
	return append(dst, '"')
}

// appendOrDash appends b escaped as the combined format does, "-" when
// empty.
func appendOrDash[T string | []byte](dst []byte, b T) []byte {
	if len(b) == 0 {
		return append(dst, '-')
	}
	return appendEscaped(dst, b)
}

// appendEscaped appends b as nginx escapes log values: '"', '\\', control
// bytes and bytes from 0x7f as \xHH, so a line stays one line and a
// quoted field stays one field.
func appendEscaped[T string | []byte](dst []byte, b T) []byte {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

const hexDigits = "0123456789ABCDEF"

// appendJSONText appends b as the inside of a JSON string (no quotes):
// quotes, backslashes and control bytes escaped, invalid UTF-8 replaced by
// U+FFFD.
func appendJSONText[T string | []byte](dst []byte, b T) []byte {
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && jsonSafe[b[j]] {
			j++
		}
		dst = append(dst, b[i:j]...) // the run that needs no escaping, at once
		if i = j; i == len(b) {
			break
		}
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexLower[c>>4], hexLower[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := decodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, b[i:i+n]...)
		}
		i += n
	}
	return dst
}

// jsonClean reports whether b is all printable ASCII without '"' or '\\'
// (a JSON string's bytes as they are), eight bytes at a step: a byte
// below 0x20, equal to '"' or '\\' becomes zero or borrows in one of the
// three subtractions, which sets its high bit; a byte from 0x80 has its
// own high bit set. A borrow can only mark bytes above a byte that is
// already marked, so the answer for the word as a whole is exact.
func jsonClean(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		low := x - 0x20*ones
		quote := (x ^ '"'*ones) - ones
		slash := (x ^ '\\'*ones) - ones
		if ((low|quote|slash)&^x|x)&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if !jsonSafe[c] {
			return false
		}
	}
	return true
}

const hexLower = "0123456789abcdef"

// jsonSafe marks the bytes a JSON string holds as they are.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// redactQuery appends q with the value of every parameter named in
// secrets (compared after percent-decoding the name) replaced by
// "REDACTED".
func redactQuery(dst, q []byte, secrets []string) []byte {
	if len(secrets) == 0 {
		return append(dst, q...)
	}
	for len(q) > 0 {
		pair := q
		rest := []byte(nil)
		if i := bytes.IndexByte(q, '&'); i >= 0 {
			pair, rest = q[:i], q[i:]
		}
		name := pair
		eq := bytes.IndexByte(pair, '=')
		if eq >= 0 {
			name = pair[:eq]
		}
		if isSecret(name, secrets) && eq >= 0 {
			dst = append(dst, pair[:eq+1]...)
			dst = append(dst, "REDACTED"...)
		} else {
			dst = append(dst, pair...)
		}
		if len(rest) == 0 {
			break
		}
		dst = append(dst, '&')
		q = rest[1:]
	}
	return dst
}

// isSecret compares a raw parameter name, percent-decoded ('+' as a
// space), with the secret names.
func isSecret(raw []byte, secrets []string) bool {
	if len(raw) > 128 {
		return false // longer than any name we keep secret
	}
	if !escaped(raw) { // as written: compared without decoding
		for _, s := range secrets {
			if string(raw) == s {
				return true
			}
		}
		return false
	}
	var buf [128]byte
	name := buf[:0]
	for i := 0; i < len(raw); i++ {
		if len(name) == len(buf) {
			return false // longer than any name we keep secret
		}
		c := raw[i]
		if c == '%' && i+2 < len(raw) && unhex(raw[i+1]) >= 0 && unhex(raw[i+2]) >= 0 {
			c = byte(unhex(raw[i+1])<<4 | unhex(raw[i+2]))
			i += 2
		} else if c == '+' {
			c = ' '
		}
		name = append(name, c)
	}
	for _, s := range secrets {
		if string(name) == s {
			return true
		}
	}
	return false
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

func decodeRune[T string | []byte](b T) (rune, int) {
	switch v := any(b).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	return utf8.RuneError, 1
}

// escaped reports whether a parameter name holds '%' or '+', which
// isSecret decodes.
func escaped(raw []byte) bool {
	for _, c := range raw {
		if c == '%' || c == '+' {
			return true
		}
	}
	return false
}
