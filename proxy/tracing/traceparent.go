package tracing

// Parent is a parsed W3C traceparent (Trace Context §3.2): the trace the
// request belongs to, the caller's span and its sampled flag.
type Parent struct {
	TraceID [16]byte
	SpanID  [8]byte
	Flags   byte
}

// Sampled reports the caller's sampled flag (bit 0 of trace-flags).
func (p *Parent) Sampled() bool { return p.Flags&1 != 0 }

// traceparentLen is the length of a version-00 traceparent:
// "00-" 32 hex "-" 16 hex "-" 2 hex.
const traceparentLen = 55

// ParseTraceparent parses a traceparent value as §3.2 and §4.3 say a
// receiver must: version 00 exactly 55 characters; a later version at
// least 55, with a '-' after the first 55 when longer (its extra fields
// are ignored); version ff, upper-case hex, and an all-zero trace or
// parent ID are invalid. It does not allocate.
func ParseTraceparent(v []byte, p *Parent) bool {
	if len(v) < traceparentLen {
		return false
	}
	ver, ok := hexByte(v[0], v[1])
	if !ok || ver == 0xff || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return false
	}
	if ver == 0 && len(v) != traceparentLen {
		return false
	}
	if len(v) > traceparentLen && v[traceparentLen] != '-' {
		return false
	}
	if !decodeHex(p.TraceID[:], v[3:35]) || !decodeHex(p.SpanID[:], v[36:52]) {
		return false
	}
	flags, ok := hexByte(v[53], v[54])
	if !ok || allZero(p.TraceID[:]) || allZero(p.SpanID[:]) {
		return false
	}
	p.Flags = flags
	return true
}

// AppendTraceparent appends the version-00 traceparent of a span of
// traceID with spanID and flags.
func AppendTraceparent(dst []byte, traceID [16]byte, spanID [8]byte, flags byte) []byte {
	dst = append(dst, "00-"...)
	dst = appendHex(dst, traceID[:])
	dst = append(dst, '-')
	dst = appendHex(dst, spanID[:])
	return append(dst, '-', hexDigits[flags>>4], hexDigits[flags&15])
}

const hexDigits = "0123456789abcdef"

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

// decodeHex decodes lower-case hex src into dst (len(src) == 2*len(dst)).
func decodeHex(dst, src []byte) bool {
	for i := range dst {
		b, ok := hexByte(src[2*i], src[2*i+1])
		if !ok {
			return false
		}
		dst[i] = b
	}
	return true
}

func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := nibble(hi)
	l, ok2 := nibble(lo)
	return h<<4 | l, ok1 && ok2
}

// nibble decodes one lower-case hex digit: the spec allows no upper case.
func nibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
