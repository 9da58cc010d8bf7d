package route

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// Replacer is a compiled regex rewrite: an RE2 expression and a
// replacement with `$1`, `${1}`, `${name}` groups and `$$` for a dollar.
// The first (leftmost) match in the input is replaced; the text around it
// is kept, so an expression anchored with ^ and $ replaces the whole path.
// It is immutable and safe for concurrent use.
type Replacer struct {
	re    *regexp.Regexp
	cp    *capProg // allocation-free group positions (nil: too large)
	parts []replPart
}

// replPart is a literal (group < 0) or a group's text.
type replPart struct {
	lit   string
	group int
}

// CompileReplacer compiles expr (RE2 syntax) and repl. A group the
// expression does not have, a `$` not followed by a group or `$`, and an
// unbalanced `${` are errors wrapping ErrBadPattern.
func CompileReplacer(expr, repl string) (*Replacer, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrBadPattern, expr, err)
	}
	r := &Replacer{re: re}
	if cp, err := newCapProg(expr); err == nil && len(cp.prog.Inst) <= maxBacktrackInsts {
		r.cp = cp
	}
	names := re.SubexpNames()
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			r.parts = append(r.parts, replPart{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '$' {
			lit.WriteByte(c)
			continue
		}
		if i+1 >= len(repl) {
			return nil, fmt.Errorf("%w: replace %q: '$' at the end (write $$ for a dollar)", ErrBadPattern, repl)
		}
		var name string
		switch n := repl[i+1]; {
		case n == '$':
			lit.WriteByte('$')
			i++
			continue
		case '0' <= n && n <= '9':
			j := i + 1
			for j < len(repl) && '0' <= repl[j] && repl[j] <= '9' {
				j++
			}
			name, i = repl[i+1:j], j-1
		case n == '{':
			end := strings.IndexByte(repl[i+2:], '}')
			if end < 0 {
				return nil, fmt.Errorf("%w: replace %q: unbalanced '${'", ErrBadPattern, repl)
			}
			name, i = repl[i+2:i+2+end], i+2+end
		default:
			return nil, fmt.Errorf("%w: replace %q: '$' must be followed by a group ($1, ${name}) or '$'", ErrBadPattern, repl)
		}
		g := -1
		if k, err := strconv.Atoi(name); err == nil {
			g = k
		} else {
			for k, n := range names {
				if k > 0 && n == name {
					g = k
				}
			}
		}
		if g < 0 || g >= len(names) {
			return nil, fmt.Errorf("%w: replace %q: the expression %q has no group %q", ErrBadPattern, repl, expr, name)
		}
		flush()
		r.parts = append(r.parts, replPart{group: g})
	}
	flush()
	return r, nil
}

// Literals calls f with each literal part of the replacement (for checks
// made at load time).
func (r *Replacer) Literals(f func(string)) {
	for _, p := range r.parts {
		if p.group < 0 {
			f(p.lit)
		}
	}
}

// Append appends in with its first match replaced to dst and reports
// whether the expression matched (if not, dst is returned unchanged). It
// does not allocate when dst has room and the expression and input fit the
// bounded backtracker (programs up to 500 instructions); otherwise it
// falls back to the standard library, which allocates.
func (r *Replacer) Append(dst, in []byte) ([]byte, bool) {
	if !r.re.Match(in) {
		return dst, false
	}
	if r.cp != nil && r.cp.fits(len(in)) {
		m := btPool.Get().(*btMachine)
		defer btPool.Put(m)
		if idx, ok := r.cp.index(m, in); ok {
			return r.expand(dst, in, idx), true
		}
		return dst, false
	}
	idx := r.re.FindSubmatchIndex(in)
	if idx == nil {
		return dst, false
	}
	return r.expand(dst, in, idx), true
}

func (r *Replacer) expand(dst, in []byte, idx []int) []byte {
	dst = append(dst, in[:idx[0]]...)
	for _, p := range r.parts {
		if p.group < 0 {
			dst = append(dst, p.lit...)
			continue
		}
		if a, b := idx[2*p.group], idx[2*p.group+1]; a >= 0 && b >= a {
			dst = append(dst, in[a:b]...)
		}
	}
	return append(dst, in[idx[1]:]...)
}

// index runs the backtracker and returns every group's positions
// (regexp-style: idx[2g], idx[2g+1]); the slice is m's.
func (p *capProg) index(m *btMachine, in []byte) ([]int, bool) {
	if p.cond == ^syntax.EmptyOp(0) {
		return nil, false
	}
	m.reset(p, len(in))
	if p.cond&syntax.EmptyBeginText != 0 {
		m.cap[0] = 0
		if m.try(p, in, uint32(p.prog.Start), 0) {
			return m.matchcap, true
		}
		return nil, false
	}
	for pos := 0; pos <= len(in); {
		m.cap[0] = pos
		if m.try(p, in, uint32(p.prog.Start), pos) {
			return m.matchcap, true
		}
		_, w := step(in, pos)
		if w == 0 {
			break
		}
		pos += w
	}
	return nil, false
}
