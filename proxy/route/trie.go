package route

import "sort"

// trie is a byte trie over the literal prefixes of the non-regex rules and
// of the regex rules that have one (see regexLiteralPrefix).
// Every node keeps the rule indexes that end there: the first exact rule
// for that literal path, and the rules whose literal prefix ends there and
// continue with wildcards (candidates, ascending). minSub is the smallest
// rule index anywhere below the node, so a walk stops as soon as nothing
// below can beat the best match found so far. The first exact rule that
// also matches its trailing forms (Spec.TrailingForms) is kept per node in
// tails, beside the nodes, so the nodes the common walk reads stay as
// small as they were.
type trie struct {
	nodes []tnode
	tails []int32 // per node, or noRule; nil when no rule has trailing forms
}

type tnode struct {
	exact  int32   // first exact rule for this literal path, or noRule
	minSub int32   // smallest rule index in this subtree
	cands  []int32 // rules with this literal prefix and a wildcard rest
	edges  []byte  // child labels, sorted
	kids   []int32 // child node indexes, parallel to edges
}

func (t *trie) newNode() int32 {
	t.nodes = append(t.nodes, tnode{exact: noRule, minSub: noRule})
	return int32(len(t.nodes) - 1)
}

func (n *tnode) child(c byte) int32 {
	e := n.edges
	if len(e) <= 8 {
		for i, x := range e {
			if x == c {
				return n.kids[i]
			}
		}
		return -1
	}
	lo, hi := 0, len(e)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if e[m] < c {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(e) && e[lo] == c {
		return n.kids[lo]
	}
	return -1
}

// build indexes members (rule indexes, ascending). An exact rule with
// criteria (methods, headers, query) is kept with the candidates, which
// are checked one by one, instead of as its node's one exact rule.
func (t *trie) build(rules []rule, members []int32) {
	t.nodes, t.tails = t.nodes[:0], nil
	t.newNode()
	for _, ri := range members {
		r := &rules[ri]
		if r.kind == kindInvalid || (r.kind == kindRegex && r.prefix == "") {
			continue
		}
		n := int32(0)
		t.nodes[n].minSub = min(t.nodes[n].minSub, ri)
		for j := 0; j < len(r.prefix); j++ {
			c := r.prefix[j]
			k := t.nodes[n].child(c)
			if k < 0 {
				k = t.newNode()
				nd := &t.nodes[n]
				at := sort.Search(len(nd.edges), func(x int) bool { return nd.edges[x] >= c })
				nd.edges = append(nd.edges, 0)
				copy(nd.edges[at+1:], nd.edges[at:])
				nd.edges[at] = c
				nd.kids = append(nd.kids, 0)
				copy(nd.kids[at+1:], nd.kids[at:])
				nd.kids[at] = k
			}
			n = k
			t.nodes[n].minSub = min(t.nodes[n].minSub, ri)
		}
		nd := &t.nodes[n]
		if r.kind == kindExact && r.crit == nil {
			nd.exact = min(nd.exact, ri)
			if r.trailing {
				for len(t.tails) < len(t.nodes) {
					t.tails = append(t.tails, noRule)
				}
				t.tails[n] = min(t.tails[n], ri)
			}
		} else {
			nd.cands = append(nd.cands, ri) // rules are visited in ascending order
		}
	}
}

// match returns the smallest index below best of a trie rule accepting r,
// or best.
func (t *trie) match(rules []rule, r *Request, best int32) int32 {
	path := r.Path
	n := &t.nodes[0]
	for i := 0; ; i++ {
		if n.minSub >= best {
			break
		}
		for _, ri := range n.cands {
			if ri >= best {
				break
			}
			if rules[ri].matchTrie(path, i) && rules[ri].crit.accepts(r) {
				best = ri
				break
			}
		}
		if i == len(path) {
			best = min(best, n.exact)
			break
		}
		k := n.child(path[i])
		if k < 0 {
			break
		}
		n = &t.nodes[k]
	}
	if t.tails != nil && len(path) > 0 && (path[len(path)-1] == '/' || path[len(path)-1] == '.') {
		best = t.matchTail(path, best)
	}
	return best
}

// matchTail returns the smaller of best and the first exact rule whose
// trailing forms (Spec.TrailingForms: its path followed by a run of '.'
// and '/') include path. It walks path's literal bytes once more, checking
// tails on the nodes inside path's final run of '.' and '/'. Only paths
// ending in one of them get here, so the common walk above pays nothing.
func (t *trie) matchTail(path []byte, best int32) int32 {
	from := len(path)
	for from > 0 && (path[from-1] == '/' || path[from-1] == '.') {
		from--
	}
	k := int32(0)
	for i := 0; i < len(path); i++ {
		if i >= from && int(k) < len(t.tails) {
			best = min(best, t.tails[k])
		}
		if k = t.nodes[k].child(path[i]); k < 0 {
			break
		}
	}
	return best
}
