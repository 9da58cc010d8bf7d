package config

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// secretScalars finds the scalars of secret fields in data, in text
// order. ok is false when data does not parse (Parse reports why).
func secretScalars(data []byte) (out []secretScalar, ok bool) {
	if len(data) > MaxFileBytes || bytes.IndexByte(data, 0) >= 0 || checkNesting("", data) != nil {
		return nil, false
	}
	file, err := parseYAML(data)
	if err != nil || len(file.Docs) != 1 {
		return nil, false
	}
	lines := lineStarts(data)
	var walk func(n ast.Node, path, ipath string, depth int, anchored bool)
	walk = func(n ast.Node, path, ipath string, depth int, anchored bool) {
		if n == nil || depth > maxNesting+maxAliasHops {
			return
		}
		switch t := n.(type) {
		case *ast.DocumentNode:
			walk(t.Body, path, ipath, depth+1, anchored)
		case *ast.TagNode:
			walk(t.Value, path, ipath, depth+1, anchored)
		case *ast.AnchorNode:
			walk(t.Value, path, ipath, depth+1, true)
		case *ast.MappingNode:
			for _, mv := range t.Values {
				walk(mv, path, ipath, depth+1, anchored)
			}
		case *ast.MappingValueNode:
			if _, merge := t.Key.(*ast.MergeKeyNode); merge {
				walk(t.Value, path, ipath, depth+1, anchored) // `<<: {...}` writes keys of this mapping
				return
			}
			k := keyText(t.Key)
			walk(t.Value, join(path, k), join(ipath, k), depth+1, anchored)
		case *ast.SequenceNode:
			for i, item := range t.Values {
				walk(item, path+"[]", ipath+"["+strconv.Itoa(i)+"]", depth+1, anchored)
			}
		case *ast.StringNode, *ast.LiteralNode:
			kind, isSecret := secretKindOf(path)
			if !isSecret {
				return
			}
			value := scalarValue(n)
			sc := secretScalar{path: ipath, field: path, value: value, style: n.GetToken().Type, anchored: anchored}
			sc.secret, sc.redacted = credential(kind, value)
			if _, lit := n.(*ast.StringNode); lit {
				sc.start, sc.end = scalarSpan(data, lines, n.GetToken(), value)
			}
			out = append(out, sc)
		}
	}
	walk(file.Docs[0], "", "", 0, false)
	return out, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func scalarValue(n ast.Node) string {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value
	case *ast.LiteralNode:
		if t.Value != nil {
			return t.Value.Value
		}
	}
	return ""
}

// lineStarts returns the byte offset of each line's start.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// scalarSpan finds the bytes of a flow scalar in data from its token's
// line and column (columns count characters): a quoted scalar runs to its
// closing quote; a plain one is its value, when written on one line.
// It returns 0, 0 when the scalar cannot be found there.
func scalarSpan(data []byte, lines []int, tk *token.Token, value string) (int, int) {
	if tk == nil || tk.Position == nil || tk.Position.Line < 1 || tk.Position.Line > len(lines) {
		return 0, 0
	}
	off := lines[tk.Position.Line-1]
	for c := 1; c < tk.Position.Column && off < len(data) && data[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	switch tk.Type {
	case token.DoubleQuoteType:
		if off >= len(data) || data[off] != '"' {
			return 0, 0
		}
		for i := off + 1; i < len(data); i++ {
			switch data[i] {
			case '\\':
				i++
			case '"':
				return off, i + 1
			}
		}
	case token.SingleQuoteType:
		if off >= len(data) || data[off] != '\'' {
			return 0, 0
		}
		for i := off + 1; i < len(data); i++ {
			if data[i] == '\'' {
				if i+1 < len(data) && data[i+1] == '\'' {
					i++
					continue
				}
				return off, i + 1
			}
		}
	default:
		if value != "" && bytes.HasPrefix(data[off:], []byte(value)) {
			return off, off + len(value)
		}
	}
	return 0, 0
}
