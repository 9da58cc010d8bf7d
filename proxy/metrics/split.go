package metrics

import "bufio"

// SplitGroup is one traffic-split group's requests: a rule's group by its
// index in the rule's split list.
type SplitGroup struct {
	Route    string
	Group    string
	Requests uint64
}

// promSplits writes the split groups' counters, one family.
func promSplits(w *bufio.Writer, gs []SplitGroup) {
	if len(gs) == 0 {
		return
	}
	promHeader(w, "premier_split_requests_total", "counter", "Requests a rule's traffic split sent to each group, by rule and group (the group's index in the rule's split list).")
	for _, g := range gs {
		promSample(w, "premier_split_requests_total", g.Requests, "route", g.Route, "group", g.Group)
	}
}
