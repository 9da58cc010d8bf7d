package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml/ast"
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

// envVisitor expands ${ENV} in every string scalar of the document.
type envVisitor struct{ d *decoder }

func (e envVisitor) Visit(n ast.Node) ast.Visitor {
	if s, ok := n.(*ast.StringNode); ok && strings.Contains(s.Value, "${") {
		out, err := expandEnv(s.Value, os.LookupEnv)
		if err != nil {
			e.d.errAt(nodePos(n), "%s", err.Error())
			return e
		}
		s.Value = out
		e.d.expanded[n] = true
	}
	return e
}
