package tracing

// Tracestate bounds (Trace Context §3.3.1): at most 32 list members, and
// the gateway passes on at most MaxTracestate bytes (the spec's minimum a
// vendor must propagate), cutting whole members off the end beyond it.
const (
	maxTracestateMembers = 32
	MaxTracestate        = 512
)

// TracestateKeep vets a tracestate value as §3.3 defines it (list members
// `key=value` separated by commas and optional blanks, empty members
// allowed, keys unique, at most 32 members) and returns how many leading
// bytes of it to pass on: the whole value when it fits MaxTracestate,
// else the members that fit, cut at a member boundary. ok is false for a
// malformed value, which must not be passed on at all. It does not
// allocate.
func TracestateKeep(v []byte) (n int, ok bool) {
	var keys [maxTracestateMembers][2]int // each member's key span
	members := 0
	for i := 0; i <= len(v); {
		end := i
		for end < len(v) && v[end] != ',' {
			end++
		}
		s, e := trimBlank(v, i, end)
		if s < e { // an empty member is allowed, and ignored
			if members == maxTracestateMembers {
				return 0, false
			}
			eq := s
			for eq < e && v[eq] != '=' {
				eq++
			}
			if eq == e || !validKey(v[s:eq]) || !validValue(v[eq+1:e]) {
				return 0, false
			}
			for _, k := range keys[:members] {
				if string(v[k[0]:k[1]]) == string(v[s:eq]) {
					return 0, false // a key listed twice
				}
			}
			keys[members] = [2]int{s, eq}
			members++
			if e <= MaxTracestate {
				n = e
			}
		}
		i = end + 1
	}
	return n, true
}

func trimBlank(v []byte, s, e int) (int, int) {
	for s < e && (v[s] == ' ' || v[s] == '\t') {
		s++
	}
	for e > s && (v[e-1] == ' ' || v[e-1] == '\t') {
		e--
	}
	return s, e
}

// validKey: a simple key (lcalpha, then up to 255 of lcalpha, digits,
// `_-*/`) or a multi-tenant one, tenant@system (tenant: lcalpha or digit
// first, up to 241; system: lcalpha first, up to 14).
func validKey(k []byte) bool {
	at := -1
	for i, c := range k {
		if c == '@' {
			if at >= 0 {
				return false
			}
			at = i
			continue
		}
		if !keyChar(c) {
			return false
		}
	}
	if at < 0 {
		return len(k) >= 1 && len(k) <= 256 && lcalpha(k[0])
	}
	tenant, system := k[:at], k[at+1:]
	return len(tenant) >= 1 && len(tenant) <= 241 && (lcalpha(tenant[0]) || digit(tenant[0])) &&
		len(system) >= 1 && len(system) <= 14 && lcalpha(system[0])
}

func keyChar(c byte) bool {
	return lcalpha(c) || digit(c) || c == '_' || c == '-' || c == '*' || c == '/'
}

func lcalpha(c byte) bool { return c >= 'a' && c <= 'z' }
func digit(c byte) bool   { return c >= '0' && c <= '9' }

// validValue: 1 to 256 printable ASCII characters but ',' and '=', the
// last not a space.
func validValue(v []byte) bool {
	if len(v) == 0 || len(v) > 256 || v[len(v)-1] == ' ' {
		return false
	}
	for _, c := range v {
		if c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return true
}
