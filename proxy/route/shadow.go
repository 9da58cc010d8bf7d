package route

import "strings"

// Shadow reports a rule that can never match because an earlier rule
// matches every path it could match.
type Shadow struct {
	Rule int // the rule that never wins
	By   int // the earlier rule that always wins first
}

// Shadowed returns the rules that can never match, each with the first
// earlier rule that covers it. It is conservative: a rule is reported only
// when coverage is certain, namely
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
		for i := 0; i < j; i++ {
			if covers(&t.rules[i], b) {
				out = append(out, Shadow{Rule: j, By: i})
				break
			}
		}
	}
	return out
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
