package config

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/premier-gateway/premier/internal/redact"
)

// expandEnv replaces ${NAME} and ${NAME:-default} in s with the environment's
// values; `$${` is a literal `${`. An unset NAME without a default is an error.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // "$${" escapes
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		expr := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			return "", fmt.Errorf("invalid environment variable name %q", name)
		}
		val, ok := lookup(name)
		switch {
		case ok && (val != "" || !hasDef):
			b.WriteString(val)
		case hasDef:
			b.WriteString(def)
		default:
			return "", fmt.Errorf("environment variable %s is not set (write ${%s:-default} for a fallback)", name, name)
		}
		s = s[i+end+1:]
	}
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		if c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// envVisitor expands ${ENV} in every string scalar of the document. It
// records each scalar's source text next to its value, and each variable's
// value next to its reference, so that messages can quote the source
// (quoteSource) and the dashboard can tell which variables a text uses.
type envVisitor struct{ d *decoder }

func (e envVisitor) Visit(n ast.Node) ast.Visitor {
	if s, ok := n.(*ast.StringNode); ok && strings.Contains(s.Value, "${") {
		lookup := func(name string) (string, bool) {
			v, ok := os.LookupEnv(name)
			e.d.envNames[name] = true
			if ok && v != "" {
				e.d.sources = append(e.d.sources, sourceText{val: v, src: "${" + name + "}"})
			}
			return v, ok
		}
		out, err := expandEnv(s.Value, lookup)
		if err != nil {
			e.d.errAt(nodePos(n), "%s", err.Error())
			return e
		}
		if out != s.Value && out != "" {
			e.d.sources = append(e.d.sources, sourceText{val: out, src: s.Value, at: nodePos(n)})
		}
		s.Value = out
		e.d.expanded[n] = true
	}
	return e
}

// sourceText pairs a value ${ENV} expansion produced (a whole scalar's or
// one variable's) with the source text it came from. at is the scalar's
// position; near limits a pair to problems on that line at or before it
// (the scalar, its key or its flow mapping).
type sourceText struct {
	val, src string
	at       pos
	near     bool
}

// quoteSource rewrites msg so that it quotes the source text wherever it
// would show a value ${ENV} expansion produced: a message about
// `servers: ["${PATH}"]` quotes "${PATH}", never the PATH of the
// environment, which may be a secret. It is the one place every problem
// passes (Parse applies it to errors and warnings alike), so no check has
// to know which of its values came from the environment. Values are
// matched as written raw and Go-quoted (%q), longest first; a value
// shorter than 4 bytes only where no letter or digit touches it, so that
// a "1" from the environment does not turn "rule 12" into "rule ${N}2". A
// URL is also matched with its user info redacted (as lb and the redis
// check quote URLs), but only in a problem at that scalar's own place:
// "http://u:xxxxx@h" may stand for several URLs, and a literal one must
// not be shown as another's source.
func (d *decoder) quoteSource(msg string, at pos) string {
	if len(d.sources) == 0 {
		return msg
	}
	if d.pairs == nil {
		for _, st := range d.sources {
			q, qs := strconv.Quote(st.val), strconv.Quote(st.src)
			d.pairs = append(d.pairs, sourceText{val: st.val, src: st.src}, sourceText{val: q[1 : len(q)-1], src: qs[1 : len(qs)-1]})
			if r := redact.URL(st.val); r != st.val && st.at.line > 0 {
				d.pairs = append(d.pairs, sourceText{val: r, src: st.src, at: st.at, near: true})
			}
		}
		sort.SliceStable(d.pairs, func(i, j int) bool { return len(d.pairs[i].val) > len(d.pairs[j].val) })
	}
	var b strings.Builder
	replaced := false
	for i := 0; i < len(msg); {
		hit := false
		for _, p := range d.pairs {
			if p.val == "" || !strings.HasPrefix(msg[i:], p.val) ||
				(p.near && (at.line != p.at.line || at.col > p.at.col)) {
				continue
			}
			end := i + len(p.val)
			if len(p.val) < 4 && ((i > 0 && isWordByte(msg[i-1])) || (end < len(msg) && isWordByte(msg[end]))) {
				continue
			}
			if !replaced {
				b.WriteString(msg[:i])
				replaced = true
			}
			b.WriteString(p.src)
			i, hit = end, true
			break
		}
		if hit {
			continue
		}
		if replaced {
			b.WriteByte(msg[i])
		}
		i++
	}
	if !replaced {
		return msg
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}
