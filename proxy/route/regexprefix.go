package route

import "regexp/syntax"

// regexLiteralPrefix returns the literal text every match of the '^' pattern
// p must start with ("/v2/" for "^/v2/(orders|items)/[0-9]+$"), or "" when
// there is none that is certain (no leading ^, case folding, alternation at
// the top, multi-line mode). Such a regex rule is indexed in the trie under
// that prefix, so a table with many regexes consults only those whose prefix
// the path has, instead of every regex in turn.
func regexLiteralPrefix(p string) string {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return ""
	}
	if re.Sub[0].Op != syntax.OpBeginText {
		return ""
	}
	lit := re.Sub[1]
	if lit.Op != syntax.OpLiteral || lit.Flags&syntax.FoldCase != 0 {
		return ""
	}
	return string(lit.Rune)
}
