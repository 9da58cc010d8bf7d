package docscheck

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Doc is one markdown file, split in lines.
type Doc struct {
	Path  string   // relative to the repository root, slash-separated
	Lines []string // without line endings
}

// ReadDocs reads README.md and every .md file under docs/ below root, in a
// stable order. A missing docs/ directory is not an error.
func ReadDocs(root string) ([]Doc, error) {
	paths := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return filepath.SkipDir
			}
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			paths = append(paths, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths[1:])
	docs := make([]Doc, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		docs = append(docs, NewDoc(p, string(data)))
	}
	return docs, nil
}

// NewDoc splits text into lines.
func NewDoc(path, text string) Doc {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return Doc{Path: path, Lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n")}
}

// Block is one fenced code block.
type Block struct {
	Doc  string // the file it is in
	Line int    // 1-based line of its first content line
	Info string // the fence's info string ("yaml", "sh", ...), lower-cased first word
	Text string // its content, with the fence's indentation removed
}

// Complete reports whether the block is a whole config file: its first
// line that is neither blank nor a comment starts with `premier:`.
func (b Block) Complete() bool {
	for _, l := range strings.Split(b.Text, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		return strings.HasPrefix(l, "premier:")
	}
	return false
}

// fence is an opening or closing code fence: ``` or ~~~ (at least three),
// indented by any amount so fences inside list items count too.
type fence struct {
	indent int
	char   byte
	n      int
	info   string
}

func parseFence(line string) (fence, bool) {
	t := strings.TrimLeft(line, " ")
	indent := len(line) - len(t)
	if len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return fence{}, false
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n < 3 {
		return fence{}, false
	}
	info := strings.TrimSpace(t[n:])
	if t[0] == '`' && strings.Contains(info, "`") {
		return fence{}, false // an inline code span, not a fence
	}
	if i := strings.IndexAny(info, " \t{"); i >= 0 {
		info = info[:i]
	}
	return fence{indent: indent, char: t[0], n: n, info: strings.ToLower(info)}, true
}

// closes reports whether line closes a block opened by f.
func (f fence) closes(line string) bool {
	c, ok := parseFence(line)
	return ok && c.char == f.char && c.n >= f.n && c.info == ""
}

// Blocks returns the fenced code blocks of d. An unclosed fence runs to the
// end of the file, as CommonMark has it.
func (d Doc) Blocks() []Block {
	var out []Block
	for i := 0; i < len(d.Lines); i++ {
		f, ok := parseFence(d.Lines[i])
		if !ok {
			continue
		}
		start := i + 1
		j := start
		for j < len(d.Lines) && !f.closes(d.Lines[j]) {
			j++
		}
		body := make([]string, 0, j-start)
		for _, l := range d.Lines[start:j] {
			body = append(body, dedent(l, f.indent))
		}
		out = append(out, Block{Doc: d.Path, Line: start + 1, Info: f.info, Text: strings.Join(body, "\n")})
		i = j
	}
	return out
}

// dedent removes up to n leading spaces.
func dedent(l string, n int) string {
	for n > 0 && strings.HasPrefix(l, " ") {
		l, n = l[1:], n-1
	}
	return l
}

// prose returns d's lines with fenced blocks (fences included) blanked, so
// link and heading scans see only text; line numbers stay the same.
func (d Doc) prose() []string {
	out := make([]string, len(d.Lines))
	for i := 0; i < len(d.Lines); i++ {
		f, ok := parseFence(d.Lines[i])
		if !ok {
			out[i] = d.Lines[i]
			continue
		}
		j := i + 1
		for j < len(d.Lines) && !f.closes(d.Lines[j]) {
			j++
		}
		i = j // lines i..j stay blank
	}
	return out
}
