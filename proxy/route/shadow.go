package route

import "strings"

// Shadow reports a rule that can never match because earlier rules match
// every request it could match.
type Shadow struct {
	Rule int // the rule that never wins
	By   int // the first earlier rule that wins first
	// Also are the other earlier rules needed to cover it, ascending
	// (each covering some of its hosts or methods); nil when By alone does.
	Also []int
}

// Shadowed returns the rules that can never match, each with the earlier
// rules that cover it. It is conservative: a rule is reported only when
// coverage is certain. Hosts and methods count per host and method: a
// rule is shadowed when, for each of its hosts and each of its methods,
// an earlier rule serving that host and that method (by naming it, by a
// wildcard covering the name, or by having no hosts or methods at all)
// covers its paths and asks nothing of the headers and query that the
// rule does not ask too. Paths are covered when
//   - the same pattern text, or the same non-regex pattern up to capture names;
//   - an exact path that an earlier rule (of any kind) matches, or, when
//     it matches its trailing forms, an earlier exact rule that matches
//     them too or a "P*" whose P starts its path;
//   - a non-regex rule whose literal prefix starts with P, after an earlier
//     rule "P*" (for example "/api/*" or "/*" before "/api/users/{id}").
//
// Other overlaps (regexes, globs with suffixes) are never reported.
func (t *Table) Shadowed() []Shadow {
	var out []Shadow
	for j := range t.rules {
		b := &t.rules[j]
		if b.kind == kindInvalid {
			continue
		}
		if s, ok := t.shadowOf(j); ok {
			out = append(out, s)
		}
	}
	return out
}

// shadowOf checks rule j cell by cell: one cell per (host, method) pair
// it serves, "any" standing for a criterion it does not have.
func (t *Table) shadowOf(j int) (Shadow, bool) {
	b := &t.rules[j]
	hosts := len(b.hosts)
	methods := len(b.methods())
	nh, nm := max(hosts, 1), max(methods, 1)
	covered := make([]bool, nh*nm)
	left := len(covered)
	var by []int
	for i := 0; i < j && left > 0; i++ {
		a := &t.rules[i]
		if a.kind == kindInvalid || !covers(a, b) || !kvsCover(a.crit, b.crit) {
			continue
		}
		used := false
		for h := 0; h < nh; h++ {
			if !hostCovers(a, b, h) {
				continue
			}
			for m := 0; m < nm; m++ {
				if covered[h*nm+m] || !methodCovers(a, b, m) {
					continue
				}
				covered[h*nm+m], used = true, true
				left--
			}
		}
		if used {
			by = append(by, i)
		}
	}
	if left > 0 {
		return Shadow{}, false
	}
	s := Shadow{Rule: j, By: by[0]}
	if len(by) > 1 {
		s.Also = by[1:]
	}
	return s, true
}

func (r *rule) methods() []string {
	if r.crit == nil {
		return nil
	}
	return r.crit.methods
}

// hostCovers reports whether a serves every request b serves for b's h-th
// host (h == 0 and no hosts: any host).
func hostCovers(a, b *rule, h int) bool {
	if len(a.hosts) == 0 {
		return true
	}
	if len(b.hosts) == 0 {
		return false
	}
	bh := b.hosts[h]
	for _, ah := range a.hosts {
		if ah == bh || ah.wild && !bh.wild && ah.Match([]byte(bh.name)) {
			return true
		}
	}
	return false
}

// methodCovers is hostCovers for b's m-th method.
func methodCovers(a, b *rule, m int) bool {
	am := a.methods()
	if len(am) == 0 {
		return true
	}
	bm := b.methods()
	if len(bm) == 0 {
		return false
	}
	for _, x := range am {
		if x == bm[m] {
			return true
		}
	}
	return false
}

// kvsCover reports whether every request meeting b's headers and query
// criteria meets a's: a asks for nothing b does not ask for identically.
func kvsCover(a, b *criteria) bool {
	if a == nil || len(a.headers) == 0 && len(a.query) == 0 {
		return true
	}
	if b == nil {
		return false
	}
	return subsetKVs(a.headers, b.headers, true) && subsetKVs(a.query, b.query, false)
}

// covers reports whether a certainly matches every path b matches.
func covers(a, b *rule) bool {
	if a.kind == kindInvalid {
		return false
	}
	if b.trailing {
		// b matches its trailing forms too: only another such rule for
		// its path, or a "P*" whose P starts b's path, covers them all.
		return a.matches([]byte(b.prefix)) &&
			(a.trailing || a.kind == kindAll && strings.HasPrefix(b.prefix, a.prefix))
	}
	if a.pattern == b.pattern {
		return true
	}
	if b.kind == kindRegex {
		return false
	}
	if b.kind == kindExact {
		return a.matches([]byte(b.prefix))
	}
	if a.kind == kindRegex {
		return false
	}
	if sameShape(a.toks, b.toks) {
		return true
	}
	return a.kind == kindAll && strings.HasPrefix(b.prefix, a.prefix)
}
