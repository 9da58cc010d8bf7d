package route

// NormalizePath appends the normalised form of raw (a request path without
// its query) to dst and returns the extended slice. On error it returns dst
// unchanged and ErrBadPath. It does not allocate when dst has capacity for
// len(raw) more bytes plus one.
//
// Rules:
//   - raw must start with '/';
//   - percent-escapes of unreserved characters (ALPHA DIGIT - . _ ~) are
//     decoded; every other escape is kept, with uppercase hex;
//   - an escaped '/' or '\' (%2F, %5C), NUL (raw or %00), a raw '\', a raw
//     ';' (matrix parameters: servlet containers strip ";..." from a segment
//     before routing, so "/admin;x/y" would reach them as "/admin/y"), a raw
//     '#' (no fragment in a request target), a raw control byte
//     (0x00-0x1F, 0x7F), a malformed escape ("%zz", "%4") and
//     invalid UTF-8 in the fully decoded byte sequence (overlong forms and
//     surrogates included, so "%C0%AF" is rejected) are errors;
//   - repeated slashes collapse to one;
//   - "." and ".." segments (also written "%2e", "%2E%2e", ...) are removed
//     as in RFC 3986 section 5.2.4; ".." never climbs above "/", and a
//     trailing dot segment leaves a trailing slash;
//   - a trailing slash is kept; the escaped forms "%3B" and "%23" are
//     ordinary data and stay escaped.
//
// The result is a fixed point: normalising it again returns it unchanged.
func NormalizePath(dst, raw []byte) ([]byte, error) {
	base := len(dst)
	if len(raw) == 0 || raw[0] != '/' {
		return dst, ErrBadPath
	}
	var u utf8State
	dst = append(dst, '/')
	root := base + 1 // dst[base:root] is the leading "/", never removed
	i := 1
	for i <= len(raw) {
		// One segment: raw[i:j], then a separator or the end.
		seg := len(dst)
		for i < len(raw) && raw[i] != '/' {
			c := raw[i]
			switch {
			case c == '%':
				if i+2 >= len(raw) {
					return dst[:base], ErrBadPath
				}
				h, ok1 := unhex(raw[i+1])
				l, ok2 := unhex(raw[i+2])
				if !ok1 || !ok2 {
					return dst[:base], ErrBadPath
				}
				v := h<<4 | l
				if v == '/' || v == '\\' || v == 0 || !u.next(v) {
					return dst[:base], ErrBadPath
				}
				if unreserved(v) {
					dst = append(dst, v)
				} else {
					dst = append(dst, '%', upperHex[v>>4], upperHex[v&15])
				}
				i += 3
			case c < 0x20 || c == 0x7f || c == '\\' || c == ';' || c == '#':
				return dst[:base], ErrBadPath
			default:
				if !u.next(c) {
					return dst[:base], ErrBadPath
				}
				dst = append(dst, c)
				i++
			}
		}
		more := i < len(raw) // raw[i] == '/'
		if more && !u.done() {
			return dst[:base], ErrBadPath // a multi-byte sequence cut by '/'
		}
		i++
		switch s := dst[seg:]; {
		case len(s) == 0:
			// empty segment: repeated or trailing slash, already written
		case len(s) == 1 && s[0] == '.':
			dst = dst[:seg]
		case len(s) == 2 && s[0] == '.' && s[1] == '.':
			dst = dst[:seg] // now ends with "/": drop the previous segment
			if seg > root {
				k := seg - 2
				for dst[k] != '/' {
					k--
				}
				dst = dst[:k+1]
			}
		default:
			if more {
				dst = append(dst, '/')
			}
		}
	}
	if !u.done() {
		return dst[:base], ErrBadPath
	}
	return dst, nil
}

// HasPrefixSegment reports whether path equals prefix or continues it with
// a new segment ("/__premier" matches "/__premier" and "/__premier/x" but
// not "/__premierx"). Both are expected to be normalised.
func HasPrefixSegment(path, prefix []byte) bool {
	if len(path) < len(prefix) || string(path[:len(prefix)]) != string(prefix) {
		return false
	}
	if len(path) == len(prefix) || len(prefix) > 0 && prefix[len(prefix)-1] == '/' {
		return true
	}
	return path[len(prefix)] == '/'
}

const upperHex = "0123456789ABCDEF"

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// utf8State validates a byte stream as UTF-8 incrementally (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
type utf8State struct {
	need   uint8 // continuation bytes still expected
	lo, hi byte  // allowed range of the next continuation byte
}

func (u *utf8State) next(c byte) bool {
	if u.need > 0 {
		if c < u.lo || c > u.hi {
			return false
		}
		u.need--
		u.lo, u.hi = 0x80, 0xBF
		return true
	}
	u.lo, u.hi = 0x80, 0xBF
	switch {
	case c < 0x80:
		return true
	case c < 0xC2:
		return false
	case c < 0xE0:
		u.need = 1
	case c == 0xE0:
		u.need, u.lo = 2, 0xA0
	case c == 0xED:
		u.need, u.hi = 2, 0x9F
	case c < 0xF0:
		u.need = 2
	case c == 0xF0:
		u.need, u.lo = 3, 0x90
	case c < 0xF4:
		u.need = 3
	case c == 0xF4:
		u.need, u.hi = 3, 0x8F
	default:
		return false
	}
	return true
}

func (u *utf8State) done() bool { return u.need == 0 }
