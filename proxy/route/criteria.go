package route

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/ascii"
)

// Request is what the rules look at: the normalised path and, for rules
// with criteria besides their pattern, the host, the method and the
// request's headers and query.
type Request struct {
	// Path is the normalised path (NormalizePath).
	Path []byte
	// Host is the request's host as received: a port and a trailing dot
	// are ignored, letters compare in any case.
	Host []byte
	// Method is the method that counts: a CORS preflight's is the one it
	// announces (Access-Control-Request-Method), so a rule answers the
	// preflights of the requests it serves.
	Method []byte
	// Req gives the headers and the query string (parsed only when a rule
	// with a headers or query criterion is tried). Nil: no headers, no
	// query.
	Req *fasthttp.Request
}

// KV is one headers or query criterion: Name must be present with Value
// (exact), or, when Value starts with '^', with a value the RE2 regexp
// Value matches. An absent header or parameter reads as empty.
type KV struct {
	Name  string
	Value string
}

// valueMatch is a compiled KV.
type valueMatch struct {
	name  string
	value string
	re    *regexp.Regexp // nil: exact
}

func (v *valueMatch) match(b []byte) bool {
	if v.re != nil {
		return v.re.Match(b)
	}
	return string(b) == v.value
}

// criteria are a rule's conditions besides its path and hosts (the hosts
// select the index a rule lives in, see hostIndex). Nil when it has none:
// the trie then pays one nil check for the rule.
type criteria struct {
	methods []string
	headers []valueMatch
	query   []valueMatch
}

// accepts reports whether r meets every criterion.
func (c *criteria) accepts(r *Request) bool {
	if c == nil {
		return true
	}
	return c.methodOK(r) && c.headersOK(r) == "" && c.queryOK(r) == ""
}

func (c *criteria) methodOK(r *Request) bool {
	if len(c.methods) == 0 {
		return true
	}
	for _, m := range c.methods {
		if string(r.Method) == m {
			return true
		}
	}
	return false
}

// headersOK returns "" when every headers criterion holds, else the name
// of the first that does not.
func (c *criteria) headersOK(r *Request) string {
	for i := range c.headers {
		v := &c.headers[i]
		var b []byte
		if r.Req != nil {
			b = r.Req.Header.Peek(v.name)
		}
		if !v.match(b) {
			return v.name
		}
	}
	return ""
}

// queryOK is headersOK for the query criteria.
func (c *criteria) queryOK(r *Request) string {
	if len(c.query) == 0 {
		return ""
	}
	var args *fasthttp.Args
	if r.Req != nil {
		args = r.Req.URI().QueryArgs()
	}
	for i := range c.query {
		v := &c.query[i]
		var b []byte
		if args != nil {
			b = args.Peek(v.name)
		}
		if !v.match(b) {
			return v.name
		}
	}
	return ""
}

// compileCriteria compiles a Spec's methods, headers and query (nil when
// it has none) and its hosts.
func compileCriteria(sp *Spec) (*criteria, []HostPattern, error) {
	var hosts []HostPattern
	for _, h := range sp.Hosts {
		if !strings.HasPrefix(h, "[") && strings.Contains(h, ":") {
			return nil, nil, &CriterionError{Field: "hosts", Err: fmt.Errorf("%q: a host name without a port (the port is ignored when matching)", h)}
		}
		p, err := ParseHostPattern(h)
		if err != nil {
			return nil, nil, &CriterionError{Field: "hosts", Err: err}
		}
		hosts = append(hosts, p)
	}
	if len(sp.Methods) == 0 && len(sp.Headers) == 0 && len(sp.Query) == 0 {
		return nil, hosts, nil
	}
	c := &criteria{}
	for _, m := range sp.Methods {
		if m == "" || !ascii.IsToken(m) {
			return nil, nil, &CriterionError{Field: "methods", Err: fmt.Errorf("%q is not a method name", m)}
		}
		c.methods = append(c.methods, strings.ToUpper(m))
	}
	var err error
	if c.headers, err = compileKVs(sp.Headers, true); err != nil {
		return nil, nil, &CriterionError{Field: "headers", Err: err}
	}
	if c.query, err = compileKVs(sp.Query, false); err != nil {
		return nil, nil, &CriterionError{Field: "query", Err: err}
	}
	return c, hosts, nil
}

// compileKVs compiles headers (header names must be tokens) or query
// criteria, sorted by name so the order does not depend on a map's.
func compileKVs(kvs []KV, header bool) ([]valueMatch, error) {
	out := make([]valueMatch, 0, len(kvs))
	for _, kv := range kvs {
		if kv.Name == "" || header && !ascii.IsToken(kv.Name) {
			return nil, fmt.Errorf("%q is not a header name", kv.Name)
		}
		v := valueMatch{name: kv.Name, value: kv.Value}
		if strings.HasPrefix(kv.Value, "^") {
			re, err := regexp.Compile(kv.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %v", kv.Name, kv.Value, err)
			}
			v.re = re
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// CriterionError reports a rule's hosts, methods, headers or query that
// do not compile.
type CriterionError struct {
	Field string // "hosts", "methods", "headers" or "query"
	Err   error
}

func (e *CriterionError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *CriterionError) Unwrap() error { return e.Err }

// subsetKVs reports whether a's criteria all appear, identical, in b's (so
// a request b accepts meets a's too).
func subsetKVs(a, b []valueMatch, fold bool) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			same := x.name == y.name || fold && ascii.EqualFold([]byte(x.name), y.name)
			if same && x.value == y.value {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
