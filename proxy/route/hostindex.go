package route

import (
	"bytes"
	"strings"
)

// index is one set of rules the matcher consults: a trie over their
// literal prefixes and, in file order, the regex rules without one.
type index struct {
	trie  trie
	regex []int32
	// few holds the members instead of the trie and regex when there are
	// at most maxFew: a host's rules are often one or two, and checking
	// them in order costs less than a walk through a trie of their own
	// (and keeps 10,000 hosts from meaning 10,000 tries to keep in cache).
	few []int32
}

// maxFew is the most members an index checks one by one.
const maxFew = 4

// build indexes members (rule indexes, ascending).
func (x *index) build(rules []rule, members []int32) {
	if len(members) <= maxFew {
		x.few = append(make([]int32, 0, len(members)), members...)
		x.trie.build(rules, nil)
		return
	}
	x.regex = x.regex[:0]
	for _, i := range members {
		if r := &rules[i]; r.kind == kindRegex && r.prefix == "" {
			x.regex = append(x.regex, i)
		}
	}
	x.trie.build(rules, members)
}

// match returns the smallest index below best of a member rule that
// accepts r, or best.
func (x *index) match(rules []rule, r *Request, best int32) int32 {
	if x.few != nil {
		for _, ri := range x.few {
			if ri >= best {
				break
			}
			if ru := &rules[ri]; ru.matches(r.Path) && ru.crit.accepts(r) {
				return ri
			}
		}
		return best
	}
	best = x.trie.match(rules, r, best)
	for _, ri := range x.regex {
		if ri >= best {
			break
		}
		if rules[ri].re.Match(r.Path) && rules[ri].crit.accepts(r) {
			return ri
		}
	}
	return best
}

// hostIndex finds, for a request's host, the rules that name it in their
// `hosts`: a map lookup for the exact name and, failing that, one for the
// wildcard that stands for it (its first label dropped), so 10 or 10,000
// hosts cost the same two lookups. Rules without hosts live in the
// table's main index and are consulted for every host.
//
// The index of an exact name also holds the rules whose wildcard covers
// that name, so a request is answered by one index besides the main one.
type hostIndex struct {
	exact map[string]int32 // lower-case name → groups index
	wild  map[string]int32 // ".example.com" → groups index
	sets  []index
	// exactLens and wildLens hold the lengths of exact's and wild's keys:
	// a host whose length (or whose suffix's) no key has is not looked up,
	// so a request for a host no rule names (the traffic of the rules
	// without hosts) pays a bit test instead of hashing its name twice.
	exactLens, wildLens lengthSet
}

// lengthSet is a set of key lengths; lengths past its range are always in.
type lengthSet [4]uint64

func (s *lengthSet) add(n int) {
	if n < 256 {
		s[n>>6] |= 1 << (n & 63)
	}
}

func (s *lengthSet) has(n int) bool {
	return n >= 256 || s[n>>6]&(1<<(n&63)) != 0
}

// buildHostIndex indexes the rules with hosts; nil when none has any.
func buildHostIndex(rules []rule) *hostIndex {
	exact := map[string][]int32{}
	wild := map[string][]int32{}
	var names, suffixes []string
	for i := range rules {
		for _, h := range rules[i].hosts {
			m, k := exact, h.name
			if h.wild {
				m = wild
			}
			if l := m[k]; len(l) > 0 && l[len(l)-1] == int32(i) {
				continue // the same host twice in one rule
			}
			if m[k] == nil {
				if h.wild {
					suffixes = append(suffixes, k)
				} else {
					names = append(names, k)
				}
			}
			m[k] = append(m[k], int32(i))
		}
	}
	if len(names) == 0 && len(suffixes) == 0 {
		return nil
	}
	hx := &hostIndex{exact: make(map[string]int32, len(names)), wild: make(map[string]int32, len(suffixes))}
	for _, n := range names {
		members := exact[n]
		if dot := strings.IndexByte(n, '.'); dot > 0 && !strings.HasPrefix(n, "[") {
			if w := wild[n[dot:]]; len(w) > 0 {
				members = mergeSorted(members, w)
			}
		}
		hx.exact[n] = int32(len(hx.sets))
		hx.exactLens.add(len(n))
		hx.sets = append(hx.sets, index{})
		hx.sets[len(hx.sets)-1].build(rules, members)
	}
	for _, s := range suffixes {
		hx.wild[s] = int32(len(hx.sets))
		hx.wildLens.add(len(s))
		hx.sets = append(hx.sets, index{})
		hx.sets[len(hx.sets)-1].build(rules, wild[s])
	}
	return hx
}

// lookup returns the index of the rules naming host, or nil.
func (hx *hostIndex) lookup(host []byte) *index {
	if canonical(host) { // the usual Host: looked up as it is, no copy
		return hx.find(host)
	}
	var buf [maxHost]byte
	h, ok := canonicalHost(buf[:0], host)
	if !ok {
		return nil
	}
	return hx.find(h)
}

// find is lookup for a canonical host h.
func (hx *hostIndex) find(h []byte) *index {
	if hx.exactLens.has(len(h)) {
		if i, ok := hx.exact[string(h)]; ok {
			return &hx.sets[i]
		}
	}
	if len(hx.wild) == 0 || h[0] == '[' {
		return nil
	}
	if j := bytes.IndexByte(h, '.'); j > 0 && hx.wildLens.has(len(h)-j) {
		if i, ok := hx.wild[string(h[j:])]; ok {
			return &hx.sets[i]
		}
	}
	return nil
}

// maxHost is the longest host canonicalHost keeps (a DNS name has at most
// 253 bytes).
const maxHost = 256

// canonical reports whether host is already as canonicalHost would write
// it: not empty, no longer than maxHost, not bracketed, no upper-case
// letter, no port and no trailing dot.
func canonical(host []byte) bool {
	if len(host) == 0 || len(host) > maxHost || host[0] == '[' || host[len(host)-1] == '.' {
		return false
	}
	for _, c := range host {
		if c-'A' <= 'Z'-'A' || c == ':' {
			return false
		}
	}
	return true
}

// canonicalHost appends host to dst without its port and trailing dot, in
// lower case; false when nothing is left or it does not fit dst's capacity.
func canonicalHost(dst, host []byte) ([]byte, bool) {
	if len(host) > 0 && host[0] == '[' {
		for i, c := range host {
			if c == ']' {
				host = host[:i+1]
				break
			}
		}
	} else {
		for i, c := range host {
			if c == ':' {
				host = host[:i]
				break
			}
		}
	}
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	if len(host) == 0 || len(host) > cap(dst)-len(dst) {
		return dst, false
	}
	for _, c := range host {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// mergeSorted merges two ascending lists of rule indexes, without
// duplicates.
func mergeSorted(a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// hostOK reports whether r's hosts admit host (every host when it names
// none). It scans: Explain and the tests use it, the hot path uses the
// index.
func (r *rule) hostOK(host []byte) bool {
	if len(r.hosts) == 0 {
		return true
	}
	var buf [maxHost]byte
	h, ok := canonicalHost(buf[:0], host)
	if !ok {
		return false
	}
	for _, p := range r.hosts {
		if p.Match(h) {
			return true
		}
	}
	return false
}
