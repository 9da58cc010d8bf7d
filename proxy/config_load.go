package proxy

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// MaxConfigBytes bounds a config file; larger files are refused before parsing.
const MaxConfigBytes = 4 << 20

// Loaded is a config file that decoded and validated: ready to compile.
type Loaded struct {
	// Config is the decoded configuration with defaults filled in.
	Config *Config
	// File is the path (or name) it came from.
	File string
	// Source is the file's bytes as read.
	Source []byte
	// Warnings are non-fatal findings as "FILE:LINE:COL: warning: ...".
	Warnings []string

	rules compiledRules
}

// LoadFile reads, decodes and validates a config file. The error, if any, is
// a ConfigErrors listing every problem.
func LoadFile(path string) (*Loaded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ConfigErrors{{File: path, Msg: err.Error()}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, ConfigErrors{{File: path, Msg: err.Error()}}
	}
	return Parse(path, data)
}

// Parse decodes and validates config bytes; name is used in error positions.
func Parse(name string, data []byte) (*Loaded, error) {
	if len(data) > MaxConfigBytes {
		return nil, ConfigErrors{{File: name, Msg: fmt.Sprintf("config file larger than %d bytes", MaxConfigBytes)}}
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, ConfigErrors{{File: name, Msg: "config file contains NUL bytes: not a YAML text file"}}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ConfigErrors{{File: name, Line: 1, Col: 1, Msg: "config file is empty: expected a `premier:` mapping"}}
	}
	file, err := parseYAML(data)
	if err != nil {
		return nil, ConfigErrors{yamlSyntaxError(name, err)}
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, ConfigErrors{{File: name, Line: 1, Col: 1, Msg: "expected exactly one YAML document with a `premier:` mapping"}}
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
		if _, ok := d.keys[&doc]["premier"]; !ok && len(d.errs) == 0 {
			d.errAt(nodePos(root), "missing root key `premier:`")
		}
	}
	l := &Loaded{Config: &doc.Premier, File: name, Source: data}
	if !d.tooMuch {
		l.check(d, len(d.errs) == 0)
	}
	if len(d.errs) > 0 {
		return nil, sortErrors(d.errs)
	}
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

func sortErrors(es ConfigErrors) ConfigErrors {
	// Stable insertion sort by position: lists are short.
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && less(es[j], es[j-1]); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
	return es
}

func less(a, b ConfigError) bool {
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}
