package route

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxCaptures is the most named captures one pattern may declare; [Captures]
// holds that many spans without touching the heap.
const MaxCaptures = 8

// tokKind is the kind of one element of a non-regex pattern.
type tokKind uint8

const (
	tokLit   tokKind = iota // literal bytes
	tokStar                 // '*': any run of characters, '/' included
	tokAny                  // '?': exactly one character
	tokClass                // '[...]': one character from a class
	tokParam                // '{name}': one non-empty path segment
)

// token is one element of a parsed non-regex pattern.
type token struct {
	kind  tokKind
	lit   string     // tokLit
	class *runeClass // tokClass
	name  string     // tokParam
	slot  int        // tokParam: capture slot
}

// runeClass is a parsed '[...]' class: inclusive rune ranges, optionally negated.
type runeClass struct {
	neg    bool
	ranges []rune // lo0, hi0, lo1, hi1, ...
}

func (c *runeClass) match(r rune) bool {
	in := false
	for i := 0; i+1 < len(c.ranges); i += 2 {
		if c.ranges[i] <= r && r <= c.ranges[i+1] {
			in = true
			break
		}
	}
	return in != c.neg
}

// parsePattern parses a non-regex pattern into tokens and capture names.
func parsePattern(p string) ([]token, []string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, nil, fmt.Errorf("%w %q: must start with '/' (or '^' for a regex)", ErrBadPattern, p)
	}
	if !utf8.ValidString(p) {
		return nil, nil, fmt.Errorf("%w %q: invalid UTF-8", ErrBadPattern, p)
	}
	var toks []token
	var names []string
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tokLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(p); {
		switch c := p[i]; c {
		case '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar { // "**" == "*"
				toks = append(toks, token{kind: tokStar})
			}
			i++
		case '?':
			flush()
			toks = append(toks, token{kind: tokAny})
			i++
		case '[':
			flush()
			cl, n, err := parseClass(p[i:])
			if err != nil {
				return nil, nil, fmt.Errorf("%w %q: %v", ErrBadPattern, p, err)
			}
			toks = append(toks, token{kind: tokClass, class: cl})
			i += n
		case '{':
			flush()
			end := strings.IndexByte(p[i:], '}')
			if end < 0 {
				return nil, nil, fmt.Errorf("%w %q: unbalanced '{'", ErrBadPattern, p)
			}
			name := p[i+1 : i+end]
			if err := checkName(name); err != nil {
				return nil, nil, fmt.Errorf("%w %q: %v", ErrBadPattern, p, err)
			}
			for _, n := range names {
				if n == name {
					return nil, nil, fmt.Errorf("%w %q: duplicate capture name %q", ErrBadPattern, p, name)
				}
			}
			if len(names) == MaxCaptures {
				return nil, nil, fmt.Errorf("%w %q: more than %d captures", ErrBadPattern, p, MaxCaptures)
			}
			toks = append(toks, token{kind: tokParam, name: name, slot: len(names)})
			names = append(names, name)
			i += end + 1
		case '}':
			return nil, nil, fmt.Errorf("%w %q: unbalanced '}'", ErrBadPattern, p)
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return toks, names, nil
}

// checkName validates a capture name: [A-Za-z_][A-Za-z0-9_]*.
func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("empty capture name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return fmt.Errorf("bad capture name %q (want letters, digits, '_')", name)
	}
	return nil
}

// parseClass parses a class starting at s[0] == '['. It returns the class
// and the number of bytes consumed. A ']' right after '[' (or '[!', '[^') is
// literal; 'a-z' is a range; '!' or '^' first negates.
func parseClass(s string) (*runeClass, int, error) {
	cl := &runeClass{}
	i := 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		cl.neg = true
		i++
	}
	first := true
	for {
		if i >= len(s) {
			return nil, 0, fmt.Errorf("unbalanced '['")
		}
		if s[i] == ']' && !first {
			return cl, i + 1, nil
		}
		first = false
		lo, w := utf8.DecodeRuneInString(s[i:])
		i += w
		hi := lo
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' {
			var w2 int
			hi, w2 = utf8.DecodeRuneInString(s[i+1:])
			i += 1 + w2
			if hi < lo {
				return nil, 0, fmt.Errorf("bad class range %q-%q", lo, hi)
			}
		}
		cl.ranges = append(cl.ranges, lo, hi)
	}
}

// tokensRegexp translates tokens to an equivalent Go regexp, anchored at
// both ends. It is the specification of glob and {param} semantics: '*' is
// greedy "(?s:.*)", '?' is ".", '{x}' is a greedy "([^/]+)".
func tokensRegexp(toks []token) string {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for _, t := range toks {
		switch t.kind {
		case tokLit:
			b.WriteString(regexp.QuoteMeta(t.lit))
		case tokStar:
			b.WriteString(`.*`)
		case tokAny:
			b.WriteString(`.`)
		case tokClass:
			b.WriteByte('[')
			if t.class.neg {
				b.WriteByte('^')
			}
			for i := 0; i < len(t.class.ranges); i += 2 {
				b.WriteString(`\x{` + strconv.FormatInt(int64(t.class.ranges[i]), 16) + `}-\x{` +
					strconv.FormatInt(int64(t.class.ranges[i+1]), 16) + `}`)
			}
			b.WriteByte(']')
		case tokParam:
			b.WriteString(`(?P<` + t.name + `>[^/]+)`)
		}
	}
	b.WriteString(`\z`)
	return b.String()
}

// sameShape reports whether two token lists match exactly the same paths
// (they are equal up to capture names).
func sameShape(a, b []token) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.kind != y.kind || x.lit != y.lit {
			return false
		}
		if x.kind == tokClass {
			if x.class.neg != y.class.neg || len(x.class.ranges) != len(y.class.ranges) {
				return false
			}
			for j := range x.class.ranges {
				if x.class.ranges[j] != y.class.ranges[j] {
					return false
				}
			}
		}
	}
	return true
}
