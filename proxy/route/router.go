package route

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// PatternError reports one pattern that does not compile.
type PatternError struct {
	Index int   // position of the pattern in the list given to Compile
	Err   error // wraps ErrBadPattern
}

func (e PatternError) Error() string { return fmt.Sprintf("pattern %d: %v", e.Index, e.Err) }
func (e PatternError) Unwrap() error { return e.Err }

// ruleKind says which matcher a rule uses.
type ruleKind uint8

const (
	kindInvalid ruleKind = iota // did not compile: never matches
	kindExact                   // literal path
	kindAll                     // literal prefix then a single '*'
	kindGlob                    // globs, no captures
	kindSimple                  // captures, deterministic (see isSimple)
	kindProg                    // captures, needs the regexp engine
	kindRegex                   // '^' pattern
)

// rule is one compiled pattern.
type rule struct {
	kind    ruleKind
	pattern string
	names   []string
	prefix  string  // literal prefix (non-regex), the trie key
	rest    []token // tokens after prefix
	toks    []token // all tokens (non-regex)
	re      *regexp.Regexp
	cp      *capProg // capture extraction (kindProg, kindRegex with names)
	// trailing: an exact rule that also matches its trailing forms (see
	// Spec.TrailingForms).
	trailing bool
	// hosts: the rule serves only these hosts (none: every host); the
	// table's hostIndex holds it under each of them.
	hosts []HostPattern
	// crit: methods, headers and query (nil: none).
	crit *criteria
}

// Table is a compiled, immutable route table. It is safe for concurrent use.
type Table struct {
	rules []rule
	main  index      // the rules without hosts
	hosts *hostIndex // the rules with hosts, by host (nil: none has any)
}

// Spec is one rule for CompileSpecs: its pattern and how it matches.
type Spec struct {
	Pattern string
	// TrailingForms makes an exact pattern also match itself followed by
	// any run of '.' and '/' (after normalisation: "/p/", "/p.", "/p./",
	// "/p/..."), the forms many backends serve as "/p" (a router without
	// strict trailing-slash matching, a file system that drops trailing
	// dots). It has no effect on other kinds of pattern.
	TrailingForms bool
	// Hosts restricts the rule to requests for these hosts (exact names,
	// or "*.example.com" for one label: see HostPattern), the port
	// ignored. Empty: every host.
	Hosts []string
	// Methods restricts the rule to these methods (case-insensitive in
	// the configuration, upper case on the wire). Empty: every method.
	Methods []string
	// Headers and Query restrict the rule to requests whose headers or
	// query parameters have these values (see KV). Empty: no condition.
	Headers []KV
	Query   []KV
}

// Compile compiles patterns (in file order) into a Table: CompileSpecs
// with no options.
func Compile(patterns []string) (*Table, []PatternError) {
	specs := make([]Spec, len(patterns))
	for i, p := range patterns {
		specs[i].Pattern = p
	}
	return CompileSpecs(specs)
}

// CompileSpecs compiles rules (in file order) into a Table. Every bad pattern
// is reported as a PatternError (a bad host, method, header or query
// criterion as one wrapping a *CriterionError); the returned Table is
// still usable and simply never matches the bad ones.
//
// A rule matches a request when its pattern matches the path and every
// criterion it has holds: one of its hosts, one of its methods, all its
// headers and query parameters.
//
// Pattern kinds: a pattern starting with '^' is a Go regexp, matched as
// regexp.Match against the whole normalised path, whose named groups
// (?P<name>...) become captures. A pattern containing '*', '?' or '[' is a
// glob: '*' matches any run of characters including '/', '?' one character,
// '[...]' a class ('[!...]' or '[^...]' negates, 'a-z' ranges). Otherwise the
// pattern is exact. In non-regex patterns '{name}' captures exactly one
// non-empty path segment (greedily, like the regexp "([^/]+)"), and may be
// mixed with globs and literals. Non-regex patterns must start with '/'.
func CompileSpecs(specs []Spec) (*Table, []PatternError) {
	t := &Table{rules: make([]rule, len(specs))}
	var errs []PatternError
	for i, sp := range specs {
		p := sp.Pattern
		r, err := compileRule(p)
		if err != nil {
			errs = append(errs, PatternError{Index: i, Err: err})
			t.rules[i] = rule{kind: kindInvalid, pattern: p}
			continue
		}
		if r.crit, r.hosts, err = compileCriteria(&specs[i]); err != nil {
			errs = append(errs, PatternError{Index: i, Err: err})
			t.rules[i] = rule{kind: kindInvalid, pattern: p}
			continue
		}
		r.trailing = sp.TrailingForms && r.kind == kindExact
		t.rules[i] = r
	}
	var main []int32
	for i := range t.rules {
		if len(t.rules[i].hosts) == 0 {
			main = append(main, int32(i))
		}
	}
	t.main.build(t.rules, main)
	t.hosts = buildHostIndex(t.rules)
	return t, errs
}

func compileRule(p string) (rule, error) {
	r := rule{pattern: p}
	if strings.HasPrefix(p, "^") {
		return compileRegexRule(p)
	}
	toks, names, err := parsePattern(p)
	if err != nil {
		return r, err
	}
	r.toks, r.names = toks, names
	if len(toks) > 0 && toks[0].kind == tokLit {
		r.prefix, r.rest = toks[0].lit, toks[1:]
	} else {
		r.rest = toks
	}
	switch {
	case len(r.rest) == 0:
		r.kind = kindExact
	case len(r.rest) == 1 && r.rest[0].kind == tokStar:
		r.kind = kindAll
	case len(names) == 0:
		r.kind = kindGlob
	case isSimple(r.rest):
		r.kind = kindSimple
	default:
		r.kind = kindProg
		expr := tokensRegexp(r.rest)
		if r.re, err = regexp.Compile(expr); err != nil {
			return r, fmt.Errorf("%w %q: %v", ErrBadPattern, p, err)
		}
		if r.cp, err = newCapProg(expr); err != nil {
			return r, fmt.Errorf("%w %q: %v", ErrBadPattern, p, err)
		}
	}
	return r, nil
}

func compileRegexRule(p string) (rule, error) {
	r := rule{pattern: p, kind: kindRegex}
	re, err := regexp.Compile(p)
	if err != nil {
		return r, fmt.Errorf("%w %q: %v", ErrBadPattern, p, err)
	}
	r.prefix = regexLiteralPrefix(p) // indexed in the trie when not ""
	r.re = re
	for _, n := range re.SubexpNames() {
		if n == "" {
			continue
		}
		for _, m := range r.names {
			if m == n {
				return r, fmt.Errorf("%w %q: duplicate capture name %q", ErrBadPattern, p, n)
			}
		}
		if len(r.names) == MaxCaptures {
			return r, fmt.Errorf("%w %q: more than %d captures", ErrBadPattern, p, MaxCaptures)
		}
		r.names = append(r.names, n)
	}
	if len(r.names) > 0 {
		if r.cp, err = newCapProg(p); err != nil {
			return r, fmt.Errorf("%w %q: %v", ErrBadPattern, p, err)
		}
	}
	return r, nil
}

// Len returns the number of rules (patterns given to Compile).
func (t *Table) Len() int { return len(t.rules) }

// CaptureNames returns the capture names of rule, in pattern order. The
// slice is shared: do not modify it.
func (t *Table) CaptureNames(rule int) []string {
	if rule < 0 || rule >= len(t.rules) {
		return nil
	}
	return t.rules[rule].names
}

// Pattern returns the source text of rule.
func (t *Table) Pattern(rule int) string { return t.rules[rule].pattern }

// Exact reports whether rule is an exact pattern (a literal path).
func (t *Table) Exact(rule int) bool { return t.rules[rule].kind == kindExact }

const noRule = math.MaxInt32

// Match returns the index of the first rule, in file order, that matches
// path, as MatchRequest for a request with no host, method, headers or
// query (rules with such criteria do not match it).
func (t *Table) Match(path []byte, caps *Captures) int {
	return t.MatchRequest(&Request{Path: path}, caps)
}

// MatchRequest returns the index of the first rule, in file order, that
// matches r, or -1. When caps is not nil it is filled with the winning
// rule's captures (spans into r.Path). MatchRequest does not allocate.
//
// The trie answers for literal, glob and {param} rules and for regex rules
// with a literal prefix; the other regex rules are consulted, in order, only
// when they come before the trie's best answer. Rules with hosts live in
// one such index per host (hostIndex): the request's host picks one of
// them by a map lookup, and the better of its answer and the main index's
// wins. Methods, headers and query are checked on the rules whose path
// matches, in the order they are tried.
func (t *Table) MatchRequest(r *Request, caps *Captures) int {
	best := t.main.match(t.rules, r, noRule)
	if t.hosts != nil {
		if x := t.hosts.lookup(r.Host); x != nil {
			best = x.match(t.rules, r, best)
		}
	}
	if best == noRule {
		if caps != nil {
			caps.reset(nil)
		}
		return -1
	}
	if caps != nil {
		t.rules[best].captures(r.Path, caps)
	}
	return int(best)
}

// matchRest reports whether s (the path after the rule's literal prefix)
// matches the rest of a trie rule.
func (r *rule) matchRest(s []byte) bool {
	switch r.kind {
	case kindAll:
		return true
	case kindGlob:
		return globMatch(r.rest, s)
	case kindSimple:
		return simpleMatch(r.rest, s, 0, nil)
	case kindProg:
		return r.re.Match(s)
	case kindExact:
		return len(s) == 0 || r.trailing && trailingForm(s)
	}
	return false
}

// trailingForm reports whether s, what follows an exact rule's path, is
// one of its trailing forms: only '.' and '/'.
func trailingForm(s []byte) bool {
	for _, c := range s {
		if c != '.' && c != '/' {
			return false
		}
	}
	return true
}

// matchTrie reports whether path, whose first i bytes are the rule's literal
// prefix, matches a rule the trie holds: a regex rule sees the whole path.
func (r *rule) matchTrie(path []byte, i int) bool {
	if r.kind == kindRegex {
		return r.re.Match(path)
	}
	return r.matchRest(path[i:])
}

// matches reports whether the whole path matches r (used off the hot path).
func (r *rule) matches(path []byte) bool {
	switch r.kind {
	case kindInvalid:
		return false
	case kindRegex:
		return r.re.Match(path)
	}
	return len(path) >= len(r.prefix) && string(path[:len(r.prefix)]) == r.prefix && r.matchRest(path[len(r.prefix):])
}

// captures fills caps for a rule known to match path.
func (r *rule) captures(path []byte, caps *Captures) {
	caps.reset(r.names)
	if len(r.names) == 0 {
		return
	}
	switch r.kind {
	case kindSimple:
		simpleMatch(r.rest, path[len(r.prefix):], len(r.prefix), caps)
	case kindProg:
		rest := path[len(r.prefix):]
		if r.cp.fits(len(rest)) {
			r.cp.run(rest, len(r.prefix), caps)
		} else {
			caps.setFromIndex(r.re.FindSubmatchIndex(rest), r.cp.slots, len(r.prefix)) // allocates; huge paths only
		}
	case kindRegex:
		if r.cp.fits(len(path)) {
			r.cp.run(path, 0, caps)
		} else {
			caps.setFromIndex(r.re.FindSubmatchIndex(path), r.cp.slots, 0) // allocates; huge paths only
		}
	}
}
