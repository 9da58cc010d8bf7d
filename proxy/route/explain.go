package route

// Why a rule did not match a request, the first criterion it failed in
// the order they are checked.
const (
	MissInvalid = "invalid" // the rule did not compile
	MissPath    = "path"
	MissHost    = "host"
	MissMethod  = "method"
	MissHeader  = "header" // Miss.Name says which
	MissQuery   = "query"  // Miss.Name says which
)

// Miss says why one rule did not match a request.
type Miss struct {
	Rule   int
	Reason string // one of the Miss* constants
	Name   string // the header or query parameter, for MissHeader and MissQuery
}

// Explain returns the rule MatchRequest picks for r (-1: none), filling
// caps as it does, and why each earlier rule did not match. The winner is
// MatchRequest's own answer; the reasons test each earlier rule's
// compiled criteria one by one (scanning, so off the hot path: `-explain`
// and the dashboard).
func (t *Table) Explain(r *Request, caps *Captures) (int, []Miss) {
	win := t.MatchRequest(r, caps)
	end := win
	if end < 0 {
		end = len(t.rules)
	}
	misses := make([]Miss, 0, end)
	for i := 0; i < end; i++ {
		misses = append(misses, t.rules[i].miss(i, r))
	}
	return win, misses
}

// miss is the first criterion of rule i that r fails ("" Reason when it
// meets them all, which MatchRequest's answer rules out for earlier rules).
func (ru *rule) miss(i int, r *Request) Miss {
	m := Miss{Rule: i}
	switch {
	case ru.kind == kindInvalid:
		m.Reason = MissInvalid
	case !ru.matches(r.Path):
		m.Reason = MissPath
	case !ru.hostOK(r.Host):
		m.Reason = MissHost
	case ru.crit == nil:
	case !ru.crit.methodOK(r):
		m.Reason = MissMethod
	default:
		if m.Name = ru.crit.headersOK(r); m.Name != "" {
			m.Reason = MissHeader
		} else if m.Name = ru.crit.queryOK(r); m.Name != "" {
			m.Reason = MissQuery
		}
	}
	return m
}
