package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// maxDecodeVisits bounds the work of decoding one document, so alias
// expansion ("billion laughs") fails fast with a clear error.
const maxDecodeVisits = 200_000

// pos is a position in the config file.
type pos struct{ line, col int }

// decoder fills Go structs from a YAML AST strictly: unknown keys, duplicate
// keys and wrong types are errors, and every error is collected with its
// position instead of stopping at the first.
type decoder struct {
	file     string
	errs     Problems
	dropped  int // errors past 10×MaxProblems, only counted
	anchors  map[string]ast.Node
	visits   int
	tooMuch  bool
	expanded map[ast.Node]bool
	// sources are the values ${ENV} expansion produced with their source
	// text, pairs the same made ready for quoteSource, and envNames every
	// variable the document references.
	sources  []sourceText
	pairs    []sourceText
	envNames map[string]bool
	// keys records where each struct's keys were written, for checks made
	// after decoding (patterns, templates).
	keys map[any]map[string]pos
}

// interfaceUnmarshaler is the yaml.v2-style hook union types implement.
type interfaceUnmarshaler interface {
	UnmarshalYAML(func(any) error) error
}

type defaulter interface{ Defaults() }
type validator interface{ Validate() error }

func newDecoder(file string) *decoder {
	return &decoder{
		file:     file,
		anchors:  map[string]ast.Node{},
		expanded: map[ast.Node]bool{},
		envNames: map[string]bool{},
		keys:     map[any]map[string]pos{},
	}
}

func nodePos(n ast.Node) pos {
	if n == nil {
		return pos{}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return pos{}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

// nerrs counts every error found, kept or dropped.
func (d *decoder) nerrs() int { return len(d.errs) + d.dropped }

func (d *decoder) errAt(p pos, format string, args ...any) {
	if len(d.errs) >= 10*MaxProblems {
		d.dropped++
		return
	}
	d.errs = append(d.errs, Problem{File: d.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)})
}

// resolve unwraps tags, records anchors and follows aliases.
func (d *decoder) resolve(n ast.Node) ast.Node {
	for hops := 0; n != nil; hops++ {
		if hops > maxAliasHops {
			// "&a *a": an anchor on an alias to itself would loop forever.
			d.errAt(nodePos(n), "alias does not resolve to a value (it refers to itself)")
			return nil
		}
		switch t := n.(type) {
		case *ast.TagNode:
			n = t.Value
		case *ast.AnchorNode:
			if t.Name != nil {
				d.anchors[t.Name.String()] = t.Value
			}
			n = t.Value
		case *ast.AliasNode:
			name := ""
			if t.Value != nil {
				name = t.Value.String()
			}
			target, ok := d.anchors[name]
			if !ok {
				d.errAt(nodePos(n), "unknown alias *%s", name)
				return nil
			}
			n = target
		case *ast.CommentGroupNode:
			return nil
		default:
			return n
		}
	}
	return nil
}

// maxAliasHops bounds the tags, anchors and aliases resolve unwraps to
// reach one value.
const maxAliasHops = 64

func (d *decoder) visit(n ast.Node) bool {
	d.visits++
	if d.visits > maxDecodeVisits {
		if !d.tooMuch {
			d.tooMuch = true
			d.errAt(nodePos(n), "document too large or too deeply aliased (more than %d values)", maxDecodeVisits)
		}
		return false
	}
	return true
}

// decode fills v (settable) from n.
func (d *decoder) decode(n ast.Node, v reflect.Value) {
	if !d.visit(n) {
		return
	}
	raw := n
	n = d.resolve(n)
	if n == nil {
		return
	}
	if _, isNull := n.(*ast.NullNode); isNull {
		if v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Struct && v.IsNil() {
			// `cache:` with nothing under it enables the feature with defaults.
			nv := reflect.New(v.Type().Elem())
			applyDefaults(nv.Elem())
			v.Set(nv)
			d.validate(nv.Elem(), n, nil)
		}
		return
	}
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(interfaceUnmarshaler); ok {
			d.decodeUnion(n, raw, v, u)
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		applyDefaults(nv.Elem())
		d.decode(n, nv.Elem())
		v.Set(nv)
	case reflect.Struct:
		d.decodeStruct(n, v)
	case reflect.Slice:
		d.decodeSlice(n, v)
	case reflect.Map:
		d.decodeMap(n, v)
	case reflect.String:
		if s, ok := n.(*ast.StringNode); ok {
			v.SetString(s.Value)
			return
		}
		if l, ok := n.(*ast.LiteralNode); ok && l.Value != nil {
			v.SetString(l.Value.Value)
			return
		}
		d.typeErr(n, "a string")
	case reflect.Int, reflect.Int64:
		d.decodeInt(n, v)
	case reflect.Float64:
		d.decodeFloat(n, v)
	case reflect.Bool:
		if b, ok := n.(*ast.BoolNode); ok {
			v.SetBool(b.Value)
			return
		}
		d.typeErr(n, "true or false")
	default:
		d.errAt(nodePos(n), "internal: unsupported type %s", v.Type())
	}
}

func (d *decoder) typeErr(n ast.Node, want string) {
	d.errAt(nodePos(n), "expected %s, got %s", want, describe(n))
}

func describe(n ast.Node) string {
	switch t := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return strconv.Quote(t.Value)
	default:
		s := n.String()
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return s
	}
}

// numberText returns the text of a number node, or of a string that was
// produced by ${ENV} expansion (so `quota: ${QUOTA}` works).
func (d *decoder) numberText(n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		return n.GetToken().Value, true
	case *ast.StringNode:
		if d.expanded[n] {
			return strings.TrimSpace(t.Value), true
		}
	}
	return "", false
}

func (d *decoder) decodeInt(n ast.Node, v reflect.Value) {
	if in, ok := n.(*ast.IntegerNode); ok {
		switch x := in.Value.(type) {
		case int64:
			v.SetInt(x)
			return
		case uint64:
			if x <= math.MaxInt64 {
				v.SetInt(int64(x))
				return
			}
		}
		d.errAt(nodePos(n), "integer %s out of range", n.GetToken().Value)
		return
	}
	if txt, ok := d.numberText(n); ok {
		if i, err := strconv.ParseInt(strings.ReplaceAll(txt, "_", ""), 0, 64); err == nil {
			v.SetInt(i)
			return
		}
	}
	d.typeErr(n, "an integer")
}

func (d *decoder) decodeFloat(n ast.Node, v reflect.Value) {
	switch t := n.(type) {
	case *ast.FloatNode:
		v.SetFloat(t.Value)
		return
	case *ast.IntegerNode:
		switch x := t.Value.(type) {
		case int64:
			v.SetFloat(float64(x))
		case uint64:
			v.SetFloat(float64(x))
		}
		return
	}
	if txt, ok := d.numberText(n); ok {
		if f, err := strconv.ParseFloat(txt, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			v.SetFloat(f)
			return
		}
	}
	d.typeErr(n, "a number")
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.typeErr(n, "a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		if d.isNull(item) {
			// A bare "-" would leave a zero entry that nothing validates
			// (a server without a URL): no list in the config takes one.
			d.errAt(nodePos(item), "empty list item")
			continue
		}
		d.decode(item, s.Index(i))
	}
	v.Set(s)
}

// decodeMap decodes a mapping with string keys of the config's choosing
// (tracing.headers), each key once.
func (d *decoder) decodeMap(n ast.Node, v reflect.Value) {
	entries, ok := d.mappingEntries(n)
	if !ok || v.Type().Key().Kind() != reflect.String {
		d.typeErr(n, "a mapping")
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(entries))
	seen := map[string]pos{}
	for _, mv := range entries {
		key, _, ok := d.firstKey(seen, mv)
		if !ok {
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(mv.Value, elem)
		m.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

// isNull reports whether n is null once tags, anchors and known aliases are
// unwrapped. Unlike resolve it records and reports nothing.
func (d *decoder) isNull(n ast.Node) bool {
	for range maxAliasHops {
		switch t := n.(type) {
		case *ast.NullNode:
			return true
		case *ast.TagNode:
			n = t.Value
		case *ast.AnchorNode:
			n = t.Value
		case *ast.AliasNode:
			if t.Value == nil {
				return false
			}
			target, ok := d.anchors[t.Value.String()]
			if !ok {
				return false
			}
			n = target
		default:
			return false
		}
	}
	return false
}

func (d *decoder) decodeUnion(n, raw ast.Node, v reflect.Value, u interfaceUnmarshaler) {
	before := d.nerrs()
	err := u.UnmarshalYAML(func(out any) error {
		return yaml.NodeToValue(n, out, yaml.Strict())
	})
	if err != nil {
		d.errAt(nodePos(raw), "%s", err.Error())
		return
	}
	if d.nerrs() == before {
		d.validate(v, n, nil)
	}
}

// mappingEntries returns the key/value pairs of a mapping node, following
// merge keys (`<<: *base`).
func (d *decoder) mappingEntries(n ast.Node) ([]*ast.MappingValueNode, bool) {
	var values []*ast.MappingValueNode
	switch t := n.(type) {
	case *ast.MappingNode:
		values = t.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{t}
	default:
		return nil, false
	}
	var out []*ast.MappingValueNode
	for _, mv := range values {
		if _, isMerge := mv.Key.(*ast.MergeKeyNode); isMerge {
			if !d.visit(mv) {
				return out, true
			}
			merged, ok := d.mappingEntries(d.resolve(mv.Value))
			if !ok {
				d.errAt(nodePos(mv.Value), "merge key << needs a mapping")
				continue
			}
			out = append(out, merged...)
			continue
		}
		out = append(out, mv)
	}
	return out, true
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value) {
	entries, ok := d.mappingEntries(n)
	if !ok {
		d.typeErr(n, "a mapping")
		return
	}
	fields := structFields(v.Type())
	seen := map[string]pos{}
	bad := map[string]bool{}
	// Later merge-key entries must not override explicit keys: explicit
	// keys come first in YAML semantics, so decode explicit keys last.
	for _, mv := range entries {
		key, kp, ok := d.firstKey(seen, mv)
		if !ok {
			continue
		}
		idx, ok := fields[key]
		if !ok {
			d.errAt(kp, "unknown key %q (allowed: %s)", key, allowedKeys(fields))
			bad[key] = true
			continue
		}
		before := d.nerrs()
		d.decode(mv.Value, v.FieldByIndex(idx))
		if d.nerrs() > before {
			bad[key] = true
		}
	}
	if v.CanAddr() {
		d.keys[v.Addr().Interface()] = seen
	}
	d.validate(v, n, bad)
}

// validate runs v's Validate and places each error at the key it names.
func (d *decoder) validate(v reflect.Value, n ast.Node, bad map[string]bool) {
	if !v.CanAddr() {
		return
	}
	val, ok := v.Addr().Interface().(validator)
	if !ok {
		return
	}
	err := val.Validate()
	if err == nil {
		return
	}
	var seen map[string]pos
	if v.CanAddr() {
		seen = d.keys[v.Addr().Interface()]
	}
	for _, e := range flattenErrors(err) {
		msg := e.Error()
		key, _, _ := strings.Cut(msg, ":")
		if bad[key] {
			continue // already reported while decoding that key
		}
		p, ok := seen[key]
		if !ok {
			p = nodePos(n)
		}
		d.errAt(p, "%s", msg)
	}
}

func flattenErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// firstKey returns the key of a mapping entry and its position, and false
// (with the error reported) when the mapping had that key already: seen
// remembers where each key first stood.
func (d *decoder) firstKey(seen map[string]pos, mv *ast.MappingValueNode) (string, pos, bool) {
	key := keyText(d.resolve(mv.Key))
	kp := nodePos(mv.Key)
	if prev, dup := seen[key]; dup {
		d.errAt(kp, "duplicate key %q (first at line %d)", key, prev.line)
		return key, kp, false
	}
	seen[key] = kp
	return key, kp, true
}

func keyText(n ast.Node) string {
	if n == nil {
		return ""
	}
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	return n.String()
}

// structFields maps YAML keys to field index paths, following inline embeds.
func structFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if opts == "inline" {
			for k, idx := range structFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

func allowedKeys(fields map[string][]int) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// applyDefaults calls Defaults on v and on its struct-valued fields.
func applyDefaults(v reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() == reflect.Struct && f.CanSet() {
			applyDefaults(f)
		}
	}
	if v.CanAddr() {
		if df, ok := v.Addr().Interface().(defaulter); ok {
			df.Defaults()
		}
	}
}
