package route

import "sort"

// trie is a byte trie over the literal prefixes of the non-regex rules and
// of the regex rules that have one (see regexLiteralPrefix).
// Every node keeps the rule indexes that end there: the first exact rule
// for that literal path, the first exact rule that also matches its
// trailing forms (Spec.TrailingForms), and the rules whose literal prefix ends there and
// continue with wildcards (candidates, ascending). minSub is the smallest
// rule index anywhere below the node, so a walk stops as soon as nothing
// below can beat the best match found so far.
type trie struct {
	nodes []tnode
}

type tnode struct {
	exact  int32   // first exact rule for this literal path, or noRule
	tail   int32   // first exact rule with trailing forms for it, or noRule
	minSub int32   // smallest rule index in this subtree
	cands  []int32 // rules with this literal prefix and a wildcard rest
	edges  []byte  // child labels, sorted
	kids   []int32 // child node indexes, parallel to edges
}

func (t *trie) newNode() int32 {
	t.nodes = append(t.nodes, tnode{exact: noRule, tail: noRule, minSub: noRule})
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

func (t *trie) build(rules []rule) {
	t.nodes = t.nodes[:0]
	t.newNode()
	for i := range rules {
		r := &rules[i]
		if r.kind == kindInvalid || (r.kind == kindRegex && r.prefix == "") {
			continue
		}
		ri := int32(i)
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
		if r.kind == kindExact {
			nd.exact = min(nd.exact, ri)
			if r.trailing {
				nd.tail = min(nd.tail, ri)
			}
		} else {
			nd.cands = append(nd.cands, ri) // rules are visited in ascending order
		}
	}
}

// match returns the smallest index of a trie rule matching path, or noRule.
// Only a path ending in '.' or '/' can be a trailing form, so other paths
// pay one byte compare for them.
func (t *trie) match(rules []rule, path []byte) int {
	best := int32(noRule)
	n := &t.nodes[0]
	tail := len(path) > 0 && (path[len(path)-1] == '/' || path[len(path)-1] == '.')
	for i := 0; ; i++ {
		if n.minSub >= best {
			break
		}
		for _, ri := range n.cands {
			if ri >= best {
				break
			}
			if rules[ri].matchTrie(path, i) {
				best = ri
				break
			}
		}
		if i == len(path) {
			best = min(best, n.exact)
			break
		}
		if tail && n.tail < best && trailingForm(path[i:]) {
			best = n.tail
		}
		k := n.child(path[i])
		if k < 0 {
			break
		}
		n = &t.nodes[k]
	}
	return int(best)
}
