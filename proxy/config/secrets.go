package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Redacted stands for a credential written literally in a config file
// wherever the config text leaves the gateway (the dashboard's config
// API). It is valid YAML in place (a plain scalar, and inside a URL's
// user info a plain-scalar character run) and never a valid credential,
// so a text that still holds it is only applied through RestoreRedacted,
// which puts the file's value back.
const Redacted = "<redacted>"

// secretKind says which part of a field's value is the credential.
type secretKind uint8

const (
	// secretWhole: the whole value (a token, a key).
	secretWhole secretKind = iota
	// secretUserinfo: the password of a URL's user info, or the whole
	// user info when it has no password (a lone token).
	secretUserinfo
)

// secretField names a config field that holds a credential, by its path
// from the document root: mapping keys joined by ".", "[]" for any list
// item. A server is a URL string or a mapping with `url`, so both forms
// are listed.
type secretField struct {
	path string
	kind secretKind
}

// secretFields are the fields the config API redacts. A new field that
// holds a credential (a JWT secret, an API key) joins by adding its path
// here; RedactText and RestoreRedacted need nothing else.
var secretFields = []secretField{
	{"premier.dashboard.token", secretWhole},
	{"premier.redis.url", secretUserinfo},
	{"premier.servers[]", secretUserinfo},
	{"premier.servers[].url", secretUserinfo},
	{"premier.paths[].servers[]", secretUserinfo},
	{"premier.paths[].servers[].url", secretUserinfo},
}

func secretKindOf(path string) (secretKind, bool) {
	for _, f := range secretFields {
		if f.path == path {
			return f.kind, true
		}
	}
	return 0, false
}

// secretScalar is one scalar of a secret field, as written in a text.
type secretScalar struct {
	path     string // indexed: "premier.paths[2].servers[0]"
	field    string // its secretFields path: "premier.paths[].servers[]"
	value    string // as written (before ${ENV} expansion)
	redacted string // value with its credential replaced by Redacted; == value when it holds none
	secret   string // the credential ("" when none)
	// start and end are the scalar's bytes in the text (quotes included);
	// end is 0 when they could not be told (a block or multi-line plain
	// scalar).
	start, end int
	style      token.Type
	// anchored: the scalar or a collection around it carries an anchor,
	// so aliases may copy its value into other fields.
	anchored bool
}

// envRef matches one ${NAME} or ${NAME:-default} reference.
var envRef = regexp.MustCompile(`\$\{[^}]*\}`)

// credential returns the credential part of a secret field's value and
// the value with it replaced by Redacted. A credential written wholly as
// ${ENV} references is not one: the text shows the reference, never the
// environment's value.
func credential(kind secretKind, v string) (secret, redacted string) {
	start, end := 0, len(v)
	if kind == secretUserinfo {
		i := strings.Index(v, "://")
		if i < 0 {
			return "", v
		}
		start = i + 3
		stop := len(v)
		if j := strings.IndexAny(v[start:], "?#"); j >= 0 {
			stop = start + j
		}
		at := strings.LastIndexByte(v[start:stop], '@')
		if at < 0 {
			return "", v
		}
		end = start + at
		if c := strings.IndexByte(v[start:end], ':'); c >= 0 {
			start += c + 1
		}
	}
	s := v[start:end]
	if strings.TrimSpace(envRef.ReplaceAllString(s, "")) == "" {
		return "", v
	}
	return s, v[:start] + Redacted + v[end:]
}

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

// quoteScalar writes v as a scalar in the given style (plain stays plain).
func quoteScalar(style token.Type, v string) string {
	switch style {
	case token.DoubleQuoteType:
		return strconv.Quote(v) // Go's escapes are all YAML double-quoted escapes
	case token.SingleQuoteType:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return v
}

// edit replaces data[start:end] with text.
type edit struct {
	start, end int
	text       string
}

func applyEdits(data []byte, edits []edit) []byte {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.start < last {
			continue // overlapping (cannot happen for distinct scalars)
		}
		b.Write(data[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(data[last:])
	return b.Bytes()
}

// RedactText returns data with every credential written literally in a
// secret field (the dashboard token, the password of a Redis or server
// URL) replaced by Redacted; everything else, ${ENV} references included,
// is kept byte for byte. A text that does not parse (never a running
// config's) comes back as one comment line: its credentials cannot be
// told apart.
func RedactText(data []byte) []byte {
	scalars, ok := secretScalars(data)
	if !ok {
		return []byte("# " + Redacted + ": this text does not parse, so its credentials cannot be told apart\n")
	}
	var edits []edit
	var loose []string // credentials whose scalar could not be located
	for _, sc := range scalars {
		if sc.secret == "" {
			continue
		}
		if sc.end > 0 {
			edits = append(edits, edit{sc.start, sc.end, quoteScalar(sc.style, sc.redacted)})
			continue
		}
		loose = append(loose, sc.secret)
	}
	out := applyEdits(data, edits)
	// A block scalar or a plain scalar folded over lines has no single span:
	// hide each run of its credential wherever it appears in the text (a
	// fold only ever breaks a value at spaces).
	for _, s := range loose {
		for _, piece := range strings.Fields(s) {
			out = bytes.ReplaceAll(out, []byte(piece), []byte(Redacted))
		}
	}
	return out
}

// RestoreRedacted returns text with each secret field that still holds
// Redacted set back to the value the running config's text (old) has
// there, byte for byte as old writes it. A placeholder is matched by field
// path: the field must have the same path in old and the same value
// around the placeholder (a Redis URL keeps its password only for the same
// URL, so an edit cannot send it to another host). A field moved in a
// list (servers reordered) is found by that value alone when the fields
// of old that have it agree on the credential. A placeholder with no such field is an error that
// names the field. A credential never moves to another field (the token
// into a server URL), not even through an alias: a kept field under an
// anchor is an error. A text that does not parse is returned unchanged, for
// Parse to report.
func RestoreRedacted(text, old []byte) ([]byte, error) {
	if !bytes.Contains(text, []byte(Redacted)) {
		return text, nil
	}
	next, ok := secretScalars(text)
	if !ok {
		return text, nil
	}
	prev, _ := secretScalars(old)
	var edits []edit
	var errs []error
	for _, sc := range next {
		if !strings.Contains(sc.value, Redacted) {
			continue
		}
		src, err := keptSecret(sc, prev)
		if err == nil && sc.anchored {
			// `token: &t <redacted>` with `prefix: *t` would copy the kept
			// token into a field whose error quotes its value: the answer
			// to a validate would hand the token to whoever sent the text.
			err = fmt.Errorf("%s: a field that keeps %s must not carry an anchor (&name), nor sit in a collection that does: aliases would copy the kept value into other fields", sc.path, Redacted)
		}
		if err == nil && sc.end == 0 {
			err = fmt.Errorf("%s: write the field holding %s on one line (a quoted or plain scalar) so its value can be kept", sc.path, Redacted)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if src.end > 0 {
			edits = append(edits, edit{sc.start, sc.end, string(old[src.start:src.end])})
		} else {
			edits = append(edits, edit{sc.start, sc.end, quoteScalar(token.DoubleQuoteType, src.value)})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return applyEdits(text, edits), nil
}

// keptSecret finds the field of prev whose credential sc's placeholder
// keeps.
func keptSecret(sc secretScalar, prev []secretScalar) (secretScalar, error) {
	var match *secretScalar
	unique := true
	for i := range prev {
		p := &prev[i]
		if p.secret == "" || p.field != sc.field || p.redacted != sc.value {
			continue
		}
		if p.path == sc.path {
			return *p, nil
		}
		if match != nil && match.value != p.value {
			unique = false
		}
		match = p
	}
	if match != nil && unique {
		return *match, nil
	}
	return secretScalar{}, fmt.Errorf("%s: %s keeps a credential only where the running config has one with the same value around it; write the credential itself (changing a URL needs its password again)", sc.path, Redacted)
}
