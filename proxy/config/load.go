package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxFileBytes bounds a config file; larger files are refused before
// parsing, and a file is never read past it. The YAML parser allocates
// about 150 bytes per input byte, so this also bounds a reload's memory
// (a real config with a thousand rules is under 200 KiB).
const MaxFileBytes = 1 << 20

// MaxProblems bounds the problems reported for one file; the rest are
// counted in a last line.
const MaxProblems = 100

// Loaded is a config file that decoded and validated: ready to compile.
type Loaded struct {
	// Config is the decoded configuration with defaults filled in.
	Config *Config
	// File is the path (or name) it came from.
	File string
	// Source is the file's bytes as read.
	Source []byte
	// Warnings are the findings that do not refuse the config, in the
	// order found (Severity SeverityWarning).
	Warnings []Problem

	rules   compiledRules
	envVars []string
	quote   func(string, pos) string
}

// QuoteSource rewrites s, a text that shows values of this config (a rule
// pattern), to show the source text of each value ${ENV} expansion
// produced instead, as Problems do.
func (l *Loaded) QuoteSource(s string) string {
	if l.quote == nil {
		return s
	}
	return l.quote(s, pos{})
}

// EnvVars are the names of the environment variables the file references
// (${NAME} and ${NAME:-default} in its string values), sorted: what a text
// applied through the dashboard may use.
func (l *Loaded) EnvVars() []string { return l.envVars }

// LoadFile reads, decodes and validates a config file. The error, if any, is
// Problems listing every problem.
func LoadFile(path string) (*Loaded, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, Problems{{File: path, Msg: err.Error()}}
	}
	return Parse(path, data)
}

// errConfigTooLarge refuses a file over MaxFileBytes.
var errConfigTooLarge = fmt.Errorf("config file larger than %d bytes", MaxFileBytes)

// ReadFile reads a config file, refusing one over MaxFileBytes by its
// size before reading it and never reading past the limit (for pipes and
// files that grow), so a huge file costs no memory.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(0)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if size = st.Size(); size > MaxFileBytes {
			return nil, errConfigTooLarge
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileBytes+1)); err != nil {
		return nil, err
	}
	if buf.Len() > MaxFileBytes {
		return nil, errConfigTooLarge
	}
	return buf.Bytes(), nil
}

// Parse decodes and validates config bytes; name is used in error positions.
func Parse(name string, data []byte) (*Loaded, error) {
	if len(data) > MaxFileBytes {
		return nil, Problems{{File: name, Msg: errConfigTooLarge.Error()}}
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, Problems{{File: name, Msg: "config file contains NUL bytes: not a YAML text file"}}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Problems{{File: name, Line: 1, Col: 1, Msg: "config file is empty: expected a `premier:` mapping"}}
	}
	if e := checkNesting(name, data); e != nil {
		return nil, Problems{*e}
	}
	file, err := parseYAML(data)
	if err != nil {
		return nil, Problems{yamlSyntaxError(name, err)}
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, Problems{{File: name, Line: 1, Col: 1, Msg: "expected exactly one YAML document with a `premier:` mapping"}}
	}
	d := newDecoder(name)
	body := file.Docs[0].Body
	ast.Walk(envVisitor{d}, body)

	var doc File
	applyDefaults(reflect.ValueOf(&doc).Elem())
	root := d.resolve(body)
	if entries, ok := d.mappingEntries(root); !ok || len(entries) == 0 {
		d.errAt(nodePos(root), "expected a mapping with the root key `premier:`")
	} else {
		d.decode(root, reflect.ValueOf(&doc).Elem())
		if _, ok := d.keys[&doc]["premier"]; !ok && d.nerrs() == 0 {
			d.errAt(nodePos(root), "missing root key `premier:`")
		}
	}
	l := &Loaded{Config: &doc.Premier, File: name, Source: data}
	if !d.tooMuch {
		l.check(d, d.nerrs() == 0)
	}
	for i := range d.errs {
		d.errs[i].Msg = d.quoteSource(d.errs[i].Msg, pos{d.errs[i].Line, d.errs[i].Col})
	}
	for i := range l.Warnings {
		l.Warnings[i].Msg = d.quoteSource(l.Warnings[i].Msg, pos{l.Warnings[i].Line, l.Warnings[i].Col})
	}
	if d.nerrs() > 0 {
		return nil, capErrors(name, sortErrors(d.errs), d.dropped)
	}
	l.quote = d.quoteSource
	for name := range d.envNames {
		l.envVars = append(l.envVars, name)
	}
	sort.Strings(l.envVars)
	return l, nil
}

// parseYAML parses the document, turning a parser panic into an error.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}

// capErrors keeps the first MaxProblems problems and counts the rest.
func capErrors(name string, es Problems, dropped int) Problems {
	if len(es) <= MaxProblems && dropped == 0 {
		return es
	}
	more := len(es) - MaxProblems + dropped
	if len(es) <= MaxProblems {
		return append(es, Problem{File: name, Msg: fmt.Sprintf("... and %d more problems", more)})
	}
	return append(es[:MaxProblems:MaxProblems], Problem{File: name, Msg: fmt.Sprintf("... and %d more problems", more)})
}

func sortErrors(es Problems) Problems {
	sort.SliceStable(es, func(i, j int) bool { return less(es[i], es[j]) })
	return es
}

func less(a, b Problem) bool {
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}
