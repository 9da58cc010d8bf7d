package auth

// takeQueryParam removes every parameter named name from the query of the
// request target uri, in place, and returns the shortened target, the
// first such parameter's value decoded (appended to dst) and whether there
// was one. Names are compared decoded ("api%5Fkey" and "api_key" are one
// name to a backend, so both are taken), parameters split on '&' only, as
// the gateway's own query reading does. Other parameters keep their bytes
// exactly. A query left empty loses its '?'. It does not allocate when dst
// has room.
func takeQueryParam(uri []byte, name string, dst []byte) (out, value []byte, found bool) {
	q := -1
	for i, c := range uri {
		if c == '?' {
			q = i
			break
		}
	}
	if q < 0 {
		return uri, dst, false
	}
	w := q + 1 // where the next kept parameter goes
	for r := q + 1; r <= len(uri); {
		end := r
		for end < len(uri) && uri[end] != '&' {
			end++
		}
		param := uri[r:end]
		k, v := param, []byte(nil)
		for i, c := range param {
			if c == '=' {
				k, v = param[:i], param[i+1:]
				break
			}
		}
		if len(param) > 0 && decodedEqual(k, name) {
			if !found {
				dst, found = appendDecoded(dst, v), true
			}
		} else if len(param) > 0 {
			if w > q+1 {
				uri[w] = '&'
				w++
			}
			w += copy(uri[w:], param)
		}
		r = end + 1
	}
	if w == q+1 {
		w = q // nothing kept: no '?'
	}
	return uri[:w], dst, found
}

// decodedEqual reports whether the query-encoded s decodes to name.
func decodedEqual(s []byte, name string) bool {
	j := 0
	for i := 0; i < len(s); {
		var c byte
		c, i = decodeAt(s, i)
		if j >= len(name) || name[j] != c {
			return false
		}
		j++
	}
	return j == len(name)
}

// appendDecoded appends the query-decoded s to dst.
func appendDecoded(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		var c byte
		c, i = decodeAt(s, i)
		dst = append(dst, c)
	}
	return dst
}

// decodeAt decodes the query-encoded byte at s[i] ('+' is a space, %XX a
// byte, a malformed escape is kept as written) and returns where the next
// one starts.
func decodeAt(s []byte, i int) (byte, int) {
	switch c := s[i]; {
	case c == '+':
		return ' ', i + 1
	case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
		return unhex(s[i+1])<<4 | unhex(s[i+2]), i + 3
	default:
		return c, i + 1
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
