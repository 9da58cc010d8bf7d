package docscheck

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Link is one link or image target found in a markdown file's prose.
type Link struct {
	Line   int    // 1-based
	Target string // as written
}

var (
	// refDef is a reference definition: `[label]: target`.
	refDef = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?`)
	// htmlAttr is an href or src attribute of inline HTML.
	htmlAttr = regexp.MustCompile(`(?i)\b(?:href|src)\s*=\s*"([^"]*)"`)
	// scheme starts an absolute URL.
	scheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// Links returns the link and image targets of d's prose: inline
// `[text](target)`, reference definitions and HTML href/src attributes.
// Code blocks and inline code spans are skipped.
func (d Doc) Links() []Link {
	var out []Link
	for i, line := range d.prose() {
		line = stripCodeSpans(line)
		for _, t := range inlineTargets(line) {
			out = append(out, Link{Line: i + 1, Target: t})
		}
		if m := refDef.FindStringSubmatch(line); m != nil {
			out = append(out, Link{Line: i + 1, Target: m[1]})
		}
		for _, m := range htmlAttr.FindAllStringSubmatch(line, -1) {
			out = append(out, Link{Line: i + 1, Target: m[1]})
		}
	}
	return out
}

// stripCodeSpans blanks `code` spans (any run length of backticks) so what
// they show is not taken for links.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		run := line[i : i+n]
		end := strings.Index(line[i+n:], run)
		if end < 0 { // no closing run: the backticks are literal
			b.WriteString(run)
			i += n
			continue
		}
		b.WriteString(strings.Repeat(" ", n+end+n))
		i += n + end + n
	}
	return b.String()
}

// inlineTargets returns the targets of `](target)` and `](target "title")`
// on one line, allowing balanced parentheses inside the target.
func inlineTargets(line string) []string {
	var out []string
	for i := 0; ; {
		j := strings.Index(line[i:], "](")
		if j < 0 {
			return out
		}
		start := i + j + 2
		depth, k := 0, start
		for ; k < len(line); k++ {
			if line[k] == '(' {
				depth++
			} else if line[k] == ')' {
				if depth == 0 {
					break
				}
				depth--
			}
		}
		dest := strings.TrimSpace(line[start:k])
		if strings.HasPrefix(dest, "<") { // <target with spaces> "title"
			if end := strings.IndexByte(dest, '>'); end > 0 {
				dest = dest[1:end]
			}
		} else if sp := strings.IndexAny(dest, " \t"); sp >= 0 {
			dest = dest[:sp] // drop a title
		}
		if dest != "" {
			out = append(out, dest)
		}
		i = k
		if i >= len(line) {
			return out
		}
	}
}

// Anchors returns the fragment names d's headings and HTML id/name
// attributes define, with GitHub's rules (see Slug).
func (d Doc) Anchors() map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, line := range d.prose() {
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		t := strings.TrimLeft(line, " ")
		if len(line)-len(t) > 3 || !strings.HasPrefix(t, "#") {
			continue
		}
		level := len(t) - len(strings.TrimLeft(t, "#"))
		text := t[level:]
		if level > 6 || (text != "" && text[0] != ' ' && text[0] != '\t') {
			continue
		}
		s := Slug(strings.TrimRight(strings.TrimSpace(text), "#"))
		if n := seen[s]; n > 0 {
			anchors[s+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[s] = true
		}
		seen[s]++
	}
	return anchors
}

var htmlAnchor = regexp.MustCompile(`(?i)<a\s+(?:id|name)\s*=\s*"([^"]+)"`)

var inlineLink = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)

// Slug is the anchor GitHub gives a heading: its text without inline
// markup, lower-cased, punctuation other than '-' and '_' dropped, spaces
// turned into '-'.
func Slug(heading string) string {
	heading = inlineLink.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CheckLinks reports every link of docs that does not resolve: a relative
// path to a missing file, a path that leaves the repository at root, an
// absolute path, a scheme other than http, https or mailto, or a #fragment
// that no heading of the target markdown file defines. Links to the web are
// not fetched.
func CheckLinks(root string, docs []Doc) []Problem {
	anchors := map[string]map[string]bool{} // by repository path, read on demand
	anchorsOf := func(p string) (map[string]bool, error) {
		if a, ok := anchors[p]; ok {
			return a, nil
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		a := NewDoc(p, string(data)).Anchors()
		anchors[p] = a
		return a, nil
	}
	var probs []Problem
	for _, d := range docs {
		anchors[d.Path] = d.Anchors()
		for _, l := range d.Links() {
			if msg := checkLink(root, d.Path, l.Target, anchorsOf); msg != "" {
				probs = append(probs, Problem{File: d.Path, Line: l.Line, Msg: msg})
			}
		}
	}
	return probs
}

func checkLink(root, from, target string, anchorsOf func(string) (map[string]bool, error)) string {
	if scheme.MatchString(target) {
		switch strings.ToLower(target[:strings.IndexByte(target, ':')]) {
		case "http", "https", "mailto":
			return ""
		}
		return "link " + target + ": only http, https and mailto links leave the repository"
	}
	if strings.HasPrefix(target, "//") {
		return "" // scheme-relative: a web address
	}
	rel, frag, _ := strings.Cut(target, "#")
	rel, _, _ = strings.Cut(rel, "?")
	if strings.HasPrefix(rel, "/") {
		return "link " + target + ": write it relative to " + from
	}
	file := from
	if rel != "" {
		unescaped, err := url.PathUnescape(rel)
		if err != nil {
			return "link " + target + ": malformed path"
		}
		file = path.Join(path.Dir(from), unescaped)
		if file == ".." || strings.HasPrefix(file, "../") {
			return "link " + target + ": points outside the repository"
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(file))); err != nil {
			return "link " + target + ": " + file + " does not exist"
		}
	}
	if frag == "" || !strings.HasSuffix(file, ".md") {
		return ""
	}
	a, err := anchorsOf(file)
	if err != nil {
		return "link " + target + ": " + err.Error()
	}
	if !a[frag] {
		return "link " + target + ": no heading in " + file + " has the anchor #" + frag
	}
	return ""
}
