package route

import "strconv"

// Display returns key, made by t.Append, as a reader wants it: each
// placeholder's value without its length prefix ("9:127.0.0.1" is
// "127.0.0.1"; "{client_ip}:{path}" shows "127.0.0.1:/a"), an absent value
// as "-". The prefixes are what keeps keys unambiguous for the limiter; a
// person reads the values. A key that does not fit t (made by an earlier
// config's template) is returned as it is.
func (t *Template) Display(key []byte) string {
	out := make([]byte, 0, len(key))
	rest := key
	for i := range t.parts {
		p := &t.parts[i]
		if p.kind == partLit {
			if len(rest) < len(p.text) || string(rest[:len(p.text)]) != p.text {
				return string(key)
			}
			out, rest = append(out, p.text...), rest[len(p.text):]
			continue
		}
		if len(rest) > 0 && rest[0] == '-' {
			out, rest = append(out, '-'), rest[1:]
			continue
		}
		colon := 0
		for colon < len(rest) && rest[colon] >= '0' && rest[colon] <= '9' {
			colon++
		}
		if colon == 0 || colon >= len(rest) || rest[colon] != ':' {
			return string(key)
		}
		n, err := strconv.Atoi(string(rest[:colon]))
		if err != nil || n > len(rest)-colon-1 {
			return string(key)
		}
		out = append(out, rest[colon+1:colon+1+n]...)
		rest = rest[colon+1+n:]
	}
	if len(rest) > 0 {
		return string(key)
	}
	return string(out)
}
