package config

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/token"
)

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
