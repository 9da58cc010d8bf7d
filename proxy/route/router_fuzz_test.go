package route

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// refTable is the naive reference matcher: every rule as a standard-library
// regexp, tried in order.
type refTable struct {
	res []*regexp.Regexp // nil for a pattern that does not compile
}

func newRef(t testing.TB, specs []Spec, bad map[int]bool) *refTable {
	r := &refTable{res: make([]*regexp.Regexp, len(specs))}
	for i, sp := range specs {
		p := sp.Pattern
		if bad[i] {
			continue
		}
		expr := p
		if !strings.HasPrefix(p, "^") {
			toks, _, err := parsePattern(p)
			if err != nil {
				t.Fatalf("pattern %q compiled by Compile but not by parsePattern: %v", p, err)
			}
			expr = tokensRegexp(toks)
			if sp.TrailingForms && len(toks) == 1 && toks[0].kind == tokLit {
				expr = strings.TrimSuffix(expr, `\z`) + `[./]*\z`
			}
		}
		r.res[i] = regexp.MustCompile(expr)
	}
	return r
}

func (r *refTable) match(path []byte) (int, map[string]string) {
	for i, re := range r.res {
		if re == nil {
			continue
		}
		idx := re.FindSubmatchIndex(path)
		if idx == nil {
			continue
		}
		caps := map[string]string{}
		for g, n := range re.SubexpNames() {
			if n != "" && idx[2*g] >= 0 {
				caps[n] = string(path[idx[2*g]:idx[2*g+1]])
			}
		}
		return i, caps
	}
	return -1, nil
}

// specsOf reads pattern lines: a line starting with '+' is the rest of
// the line with TrailingForms.
func specsOf(patterns []string) []Spec {
	specs := make([]Spec, len(patterns))
	for i, p := range patterns {
		rest, ok := strings.CutPrefix(p, "+")
		specs[i] = Spec{Pattern: rest, TrailingForms: ok}
	}
	return specs
}

// checkAgainstRef compares Table.Match with the reference for one path.
func checkAgainstRef(t *testing.T, patterns []string, path []byte) {
	t.Helper()
	specs := specsOf(patterns)
	tab, errs := CompileSpecs(specs)
	bad := map[int]bool{}
	for _, e := range errs {
		bad[e.Index] = true
	}
	ref := newRef(t, specs, bad)
	var c Captures
	got := tab.Match(path, &c)
	want, wantCaps := ref.match(path)
	if got != want {
		t.Fatalf("patterns %q path %q: Match = %d, reference = %d", patterns, path, got, want)
	}
	if got < 0 {
		return
	}
	for _, n := range tab.CaptureNames(got) {
		g := c.Get(n, path)
		w, ok := wantCaps[n]
		if (g != nil) != ok || string(g) != w {
			t.Fatalf("patterns %q path %q rule %d: capture %s = %q, reference %q (present %v)", patterns, path, got, n, g, w, ok)
		}
	}
	// Shadowed must never be a false positive: a shadowed rule's matches
	// are matched by its shadower.
	for _, s := range tab.Shadowed() {
		if tab.rules[s.Rule].matches(path) && !tab.rules[s.By].matches(path) {
			t.Fatalf("patterns %q path %q: rule %d reported shadowed by %d, but only it matches", patterns, path, s.Rule, s.By)
		}
	}
}

var fuzzSeeds = []struct{ patterns, path string }{
	{"/a\n/a/*\n/*", "/a/b"},
	{"/api/users/{id}\n/api/*", "/api/users/42"},
	{"^/a\n/a/b", "/a/b"},
	{"/a/b\n^/a", "/a/b"},
	{"/file-{name}.{ext}", "/file-a.b.c"},
	{"/{a}-{b}", "/x-y-z"},
	{"/t/{a}*{b}", "/t/x/y/z"},
	{"/*/{id}", "/a/b/c"},
	{"/x/*.json\n/x/a.json", "/x/a.json"},
	{"/[a-c]?[!x]/{s}", "/bzq/s"},
	{"/[]a]", "/]"},
	{"/[!]]", "/a"},
	{"/é*\n/[à-ü]", "/ü"},
	{"/?", "/\xff"},
	{"/[^a]", "/\xc3"},
	{`^/(?P<x>a+)(?P<y>a*)$`, "/aaaa"},
	{`^/(?P<x>a|ab)(?P<y>c|bcd)`, "/abcd"},
	{`^/(?i)(?P<x>API)/(?P<y>[^/]+)`, "/api/v1"},
	{`^/(?m)(?P<x>.*)$`, "/a\nb"},
	{`^/\b(?P<w>\w+)\b`, "/hello world"},
	{"/a*a*a*a*b", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"},
	{"/{a}/{b}/*\n/{x}", "/1/2"},
	{"/{a}/{b}/*\n/{x}", "/1/2/"},
	{"/a//b\n/a/b", "/a//b"},
	{"bad\n/[\n/{x\n/ok", "/ok"},
	{"/**\n/a", "/a"},
	{"/{a}?", "/ab"},
	{"/{a}[0-9]", "/ab1"},
	{"/{id}.json\n/{id}", "/x.json"},
	{"", "/"},
	{"+/api/login\n/api/*", "/api/login/"},
	{"/api/*\n+/api/login", "/api/login."},
	{"+/api/login\n/api/login", "/api/login./"},
	{"/api/login\n+/api/login", "/api/login/"},
	{"+/a\n+/a/", "/a/."},
	{"+/a\n/a/{x}", "/a/.."},
	{"+/a\n/a/b", "/a/b"},
	{"+/a\n/a*", "/a.json"},
	{"+/a/*", "/a/"},
}

func FuzzMatch(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.patterns, s.path)
	}
	f.Fuzz(func(t *testing.T, patterns, path string) {
		ps := strings.Split(patterns, "\n")
		if len(ps) > 32 {
			ps = ps[:32]
		}
		for _, p := range ps {
			if len(p) > 200 {
				return
			}
		}
		checkAgainstRef(t, ps, []byte(path))
		// Also every prefix-ish variation of the path, cheaply.
		if i := strings.LastIndexByte(path, '/'); i > 0 {
			checkAgainstRef(t, ps, []byte(path[:i]))
		}
	})
}

// TestMatchRandomSets generates random pattern sets from pieces that
// overlap a lot, and compares with the reference on random paths.
func TestMatchRandomSets(t *testing.T) {
	pieces := []string{"/", "/a", "/b", "a", "b", "/ab", "*", "?", "[ab]", "[!a]", "{x}", "{y}", ".json", "-", "/api", "é"}
	pathPieces := []string{"/", "a", "b", "/a", "/b", "ab", ".json", "-", "/api", "é", "c", "//", ".", "./", "/.."}
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(pcs []string, n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(pcs[rng.IntN(len(pcs))])
		}
		return b.String()
	}
	for range 400 {
		n := 1 + rng.IntN(12)
		ps := make([]string, n)
		for i := range ps {
			switch rng.IntN(10) {
			case 0:
				ps[i] = "^/" + gen([]string{"a", "b", "(?P<r>a+)", "(?P<s>b*)", ".*", "/", "$"}, 1+rng.IntN(4))
			default:
				ps[i] = "/" + gen(pieces, rng.IntN(5))
			}
		}
		specs := make([]Spec, n)
		for i, p := range ps {
			specs[i] = Spec{Pattern: p, TrailingForms: rng.IntN(3) == 0}
		}
		tab, errs := CompileSpecs(specs)
		bad := map[int]bool{}
		for _, e := range errs {
			bad[e.Index] = true
		}
		ref := newRef(t, specs, bad)
		for range 40 {
			path := []byte("/" + gen(pathPieces, rng.IntN(7)))
			var c Captures
			got := tab.Match(path, &c)
			want, wantCaps := ref.match(path)
			if got != want {
				t.Fatalf("patterns %q path %q: Match = %d, reference = %d", ps, path, got, want)
			}
			if got >= 0 {
				for _, name := range tab.CaptureNames(got) {
					g := c.Get(name, path)
					w, ok := wantCaps[name]
					if (g != nil) != ok || string(g) != w {
						t.Fatalf("patterns %q path %q: capture %s = %q, want %q", ps, path, name, g, w)
					}
				}
			}
			for _, s := range tab.Shadowed() {
				if tab.rules[s.Rule].matches(path) && !tab.rules[s.By].matches(path) {
					t.Fatalf("patterns %q path %q: false shadow %v", ps, path, s)
				}
			}
		}
	}
}
