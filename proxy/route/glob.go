package route

import (
	"bytes"
	"unicode/utf8"
)

// globMatch matches s against tokens that hold no {param}. It is the classic
// wildcard algorithm that only ever backtracks to the most recent '*': since
// '*' crosses '/', a later star can absorb anything an earlier one could, so
// the cost is O(len(toks)*len(s)) at worst and linear in practice.
// '?' and classes consume one rune (an invalid byte counts as one rune), the
// same as the regexp translation in tokensRegexp.
func globMatch(toks []token, s []byte) bool {
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				starTi, starSi = ti, si
				ti++
				continue
			case tokLit:
				if len(s)-si >= len(t.lit) && string(s[si:si+len(t.lit)]) == t.lit {
					si += len(t.lit)
					ti++
					continue
				}
			case tokAny:
				if si < len(s) {
					_, w := utf8.DecodeRune(s[si:])
					si += w
					ti++
					continue
				}
			case tokClass:
				if si < len(s) {
					r, w := utf8.DecodeRune(s[si:])
					if t.class.match(r) {
						si += w
						ti++
						continue
					}
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, w := utf8.DecodeRune(s[starSi:])
		starSi += w
		ti, si = starTi+1, starSi
	}
}

// isSimple reports whether tokens can be matched deterministically by
// simpleMatch: every {param} is followed by the end or by a literal that
// starts with '/', and a '*' can only be the last token. Then each param
// must take its whole segment, exactly as the greedy regexp would.
func isSimple(toks []token) bool {
	for i, t := range toks {
		switch t.kind {
		case tokStar:
			if i != len(toks)-1 {
				return false
			}
		case tokParam:
			if i+1 < len(toks) && (toks[i+1].kind != tokLit || toks[i+1].lit[0] != '/') {
				return false
			}
		}
	}
	return true
}

// simpleMatch matches s against simple tokens (see isSimple), recording param
// spans (offset by base) in caps when caps is not nil.
func simpleMatch(toks []token, s []byte, base int, caps *Captures) bool {
	si := 0
	for i := range toks {
		t := &toks[i]
		switch t.kind {
		case tokLit:
			if len(s)-si < len(t.lit) || string(s[si:si+len(t.lit)]) != t.lit {
				return false
			}
			si += len(t.lit)
		case tokStar:
			return true
		case tokAny:
			if si >= len(s) {
				return false
			}
			_, w := utf8.DecodeRune(s[si:])
			si += w
		case tokClass:
			if si >= len(s) {
				return false
			}
			r, w := utf8.DecodeRune(s[si:])
			if !t.class.match(r) {
				return false
			}
			si += w
		case tokParam:
			end := len(s)
			if j := bytes.IndexByte(s[si:], '/'); j >= 0 {
				end = si + j
			}
			if end == si {
				return false
			}
			if caps != nil {
				caps.spans[t.slot] = [2]int32{int32(base + si), int32(base + end)}
			}
			si = end
		}
	}
	return si == len(s)
}
