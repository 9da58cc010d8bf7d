package cache

// Query parameter names as backends read them. Frameworks disagree on which
// of two parameters with the same name wins (Go, fasthttp and Express's
// first value, PHP and Rack the last, ASP.NET both) and on which names are
// the same (PHP decodes %XX and '+', turns ' ' and '.' into '_' and reads
// "a[x]" as part of "a"; ASP.NET ignores case). A cache key that reorders
// such parameters, or keeps one of them, lets a request fill the entry of
// another that a backend reads differently. So the cache treats two names as
// the same parameter whenever any of those readings could: folding more
// names together only costs hits, never correctness.

// paramName walks one parameter name folded: %XX decoded (when decode is
// set), '+' as ' ', ASCII lower-cased, ' ' and '.' as '_', and ending at
// the first '[' or, in raw query text, at '='.
type paramName[T string | []byte] struct {
	s      T
	i      int
	decode bool
}

// next returns the next folded byte, or false at the end of the name.
func (n *paramName[T]) next() (byte, bool) {
	if n.i >= len(n.s) {
		return 0, false
	}
	c := n.s[n.i]
	n.i++
	if plain(c) {
		return c, true // the common case: nothing to fold
	}
	if n.decode {
		switch {
		case c == '=':
			n.i = len(n.s)
			return 0, false
		case c == '+':
			c = ' '
		case c == '%' && n.i+1 < len(n.s) && isHex(n.s[n.i]) && isHex(n.s[n.i+1]):
			c = unhex(n.s[n.i])<<4 | unhex(n.s[n.i+1])
			n.i += 2
		}
	}
	switch {
	case c == '[':
		n.i = len(n.s)
		return 0, false
	case c == ' ' || c == '.':
		c = '_'
	case 'A' <= c && c <= 'Z':
		c += 'a' - 'A'
	}
	return c, true
}

// compareParamNames orders two raw "name=value" parameters by their folded
// names; parameters a backend could read as one name compare equal, so a
// stable sort keeps them in the order the client sent them.
func compareParamNames(a, b []byte) int {
	// Fast path: a common prefix of bytes that fold to themselves; most
	// names differ at the first byte.
	i := 0
	for i < len(a) && i < len(b) && plain(a[i]) && plain(b[i]) {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
		i++
	}
	x, y := paramName[[]byte]{s: a, i: i, decode: true}, paramName[[]byte]{s: b, i: i, decode: true}
	for {
		cx, okx := x.next()
		cy, oky := y.next()
		switch {
		case !okx && !oky:
			return 0
		case !okx:
			return -1
		case !oky:
			return 1
		case cx != cy:
			return int(cx) - int(cy)
		}
	}
}

// RepeatsParam reports whether query (raw, without '?') has two or more
// parameters that a backend could read as the parameter name (as a
// {query.NAME} key template names it, already decoded). Parameters are
// split at '&' and at ';' (which some frameworks also split at). A key
// built from one of them would let "?id=1&id=evil" fill the entry of
// "?id=1" with what a last-wins backend answers for "evil". It does not
// allocate.
func RepeatsParam(query []byte, name string) bool {
	seen := false
	start := 0
	for i := 0; i <= len(query); i++ {
		if i < len(query) && query[i] != '&' && query[i] != ';' {
			continue
		}
		if i > start && sameName(query[start:i], name) {
			if seen {
				return true
			}
			seen = true
		}
		start = i + 1
	}
	return false
}

// sameName reports whether the raw parameter p has the folded name of the
// decoded name.
func sameName(p []byte, name string) bool {
	x, y := paramName[[]byte]{s: p, decode: true}, paramName[string]{s: name}
	for {
		cx, okx := x.next()
		cy, oky := y.next()
		if okx != oky || cx != cy {
			return false
		}
		if !okx {
			return true
		}
	}
}

// plain reports whether c folds to itself in every name.
func plain(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
