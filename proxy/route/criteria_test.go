package route

import (
	"errors"
	"fmt"
	"math/rand/v2"
	neturl "net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// req builds a Request for method and an absolute URL, with headers.
func req(t testing.TB, method, url string, headers ...string) *Request {
	t.Helper()
	var fr fasthttp.Request
	fr.Header.SetMethod(method)
	fr.SetRequestURI(url)
	for i := 0; i+1 < len(headers); i += 2 {
		fr.Header.Add(headers[i], headers[i+1])
	}
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	fr.Header.SetHost(u.Host) // as written: fasthttp's URI lower-cases it
	path, err := NormalizePath(nil, fr.URI().PathOriginal())
	if err != nil {
		t.Fatal(err)
	}
	return &Request{Path: path, Host: fr.Header.Host(), Method: fr.Header.Method(), Req: &fr}
}

func mustSpecs(t testing.TB, specs ...Spec) *Table {
	t.Helper()
	tab, errs := CompileSpecs(specs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return tab
}

func TestMatchCriteria(t *testing.T) {
	tab := mustSpecs(t,
		Spec{Pattern: "/api/*", Hosts: []string{"api.example.com", "*.api.example.com"}, Methods: []string{"get", "POST"}}, // 0
		Spec{Pattern: "/api/*", Headers: []KV{{"X-Canary", "1"}}},                                                          // 1
		Spec{Pattern: "/api/*", Query: []KV{{"version", "^v[23]$"}}},                                                       // 2
		Spec{Pattern: "/api/*", Hosts: []string{"Other.example.com"}},                                                      // 3
		Spec{Pattern: "/api/exact", Methods: []string{"DELETE"}},                                                           // 4
		Spec{Pattern: "/api/exact", Headers: []KV{{"X-Tenant", "^(a|b)$"}}},                                                // 5
		Spec{Pattern: `^/re/\d+$`, Methods: []string{"PUT"}},                                                               // 6
		Spec{Pattern: "/*", Hosts: []string{"*.example.com"}},                                                              // 7
		Spec{Pattern: "/*", Hosts: []string{"[::1]", "127.0.0.1"}},                                                         // 8
	)
	tests := []struct {
		method, url string
		headers     []string
		want        int
	}{
		{"GET", "http://api.example.com/api/x", nil, 0},
		{"GET", "http://API.Example.COM:8443/api/x", nil, 0},
		{"GET", "http://api.example.com./api/x", nil, 0},
		{"POST", "http://eu.api.example.com/api/x", nil, 0},
		{"GET", "http://a.eu.api.example.com/api/x", nil, -1}, // two labels: no wildcard covers it
		{"PUT", "http://api.example.com/api/x", nil, 7},       // not rule 0's method: the next host rule
		{"PUT", "http://api.example.com/api/x", []string{"X-Canary", "1"}, 1},
		{"PUT", "http://api.example.com/api/x", []string{"X-Canary", "2"}, 7},
		{"PUT", "http://x.org/api/x?version=v3", nil, 2},
		{"PUT", "http://x.org/api/x?version=v4", nil, -1},
		{"PUT", "http://x.org/api/x?version=v33", nil, -1},
		{"PUT", "http://other.example.com/api/x", nil, 3},
		{"GET", "http://other.example.com/api/x", nil, 3},
		{"GET", "http://api.example.com/elsewhere", nil, 7},
		{"DELETE", "http://x.org/api/exact", nil, 4},
		{"GET", "http://x.org/api/exact", []string{"X-Tenant", "b"}, 5},
		{"GET", "http://x.org/api/exact", []string{"X-Tenant", "c"}, -1},
		{"PUT", "http://x.org/re/12", nil, 6},
		{"GET", "http://x.org/re/12", nil, -1},
		{"GET", "http://example.com/x", nil, -1}, // the apex is not *.example.com
		{"GET", "http://[::1]:8000/x", nil, 8},
		{"GET", "http://127.0.0.1:8000/x", nil, 8},
	}
	for _, tt := range tests {
		r := req(t, tt.method, tt.url, tt.headers...)
		if got := tab.MatchRequest(r, nil); got != tt.want {
			t.Errorf("%s %s %v: rule %d, want %d", tt.method, tt.url, tt.headers, got, tt.want)
		}
	}
}

// TestMatchHostOrder: file order decides between the main index and a host's
// index, whichever comes first.
func TestMatchHostOrder(t *testing.T) {
	tab := mustSpecs(t,
		Spec{Pattern: "/a/*"},
		Spec{Pattern: "/*", Hosts: []string{"x.test"}},
		Spec{Pattern: "/b/*", Hosts: []string{"x.test"}},
		Spec{Pattern: "/b/*"},
		Spec{Pattern: "/c/*", Hosts: []string{"*.test"}},
		Spec{Pattern: "/c/*", Hosts: []string{"y.test"}},
	)
	for _, tt := range []struct {
		url  string
		want int
	}{
		{"http://x.test/a/1", 0}, {"http://x.test/b/1", 1}, {"http://y.test/b/1", 3},
		{"http://y.test/c/1", 4}, {"http://z.test/c/1", 4}, {"http://nohost.example/c/1", -1},
	} {
		if got := tab.MatchRequest(req(t, "GET", tt.url), nil); got != tt.want {
			t.Errorf("%s: rule %d, want %d", tt.url, got, tt.want)
		}
	}
}

// TestMatchCriteriaCaptures: captures come from the rule that won, not a
// path-only winner skipped for its criteria.
func TestMatchCriteriaCaptures(t *testing.T) {
	tab := mustSpecs(t,
		Spec{Pattern: "/u/{id}", Methods: []string{"POST"}},
		Spec{Pattern: "/u/{name}", Hosts: []string{"h.test"}},
	)
	var c Captures
	r := req(t, "GET", "http://h.test/u/42")
	if got := tab.MatchRequest(r, &c); got != 1 || string(c.Get("name", r.Path)) != "42" || c.Get("id", r.Path) != nil {
		t.Fatalf("rule %d, name %q", got, c.Get("name", r.Path))
	}
}

func TestCriteriaErrors(t *testing.T) {
	for _, sp := range []Spec{
		{Pattern: "/x", Hosts: []string{"example.com:8080"}},
		{Pattern: "/x", Hosts: []string{"a.*.example.com"}},
		{Pattern: "/x", Hosts: []string{"*.com*"}},
		{Pattern: "/x", Methods: []string{"GE T"}},
		{Pattern: "/x", Methods: []string{""}},
		{Pattern: "/x", Headers: []KV{{"Bad Name", "1"}}},
		{Pattern: "/x", Headers: []KV{{"X-A", "^(unclosed"}}},
		{Pattern: "/x", Query: []KV{{"v", "^[z-a]"}}},
		{Pattern: "/x", Query: []KV{{"", "1"}}},
	} {
		tab, errs := CompileSpecs([]Spec{sp})
		var ce *CriterionError
		if len(errs) != 1 || !errors.As(errs[0], &ce) {
			t.Errorf("%+v: errors %v, want one CriterionError", sp, errs)
			continue
		}
		if tab.MatchRequest(req(t, "GET", "http://example.com/x"), nil) != -1 {
			t.Errorf("%+v: a rule that did not compile matched", sp)
		}
	}
}

func TestShadowedCriteria(t *testing.T) {
	tests := []struct {
		name  string
		specs []Spec
		want  []Shadow
	}{
		{"other host", []Spec{{Pattern: "/*", Hosts: []string{"a.test"}}, {Pattern: "/x", Hosts: []string{"b.test"}}}, nil},
		{"same host", []Spec{{Pattern: "/*", Hosts: []string{"a.test"}}, {Pattern: "/x", Hosts: []string{"A.test"}}}, []Shadow{{Rule: 1, By: 0}}},
		{"wildcard covers name", []Spec{{Pattern: "/*", Hosts: []string{"*.test"}}, {Pattern: "/x", Hosts: []string{"a.test"}}}, []Shadow{{Rule: 1, By: 0}}},
		{"name does not cover wildcard", []Spec{{Pattern: "/*", Hosts: []string{"a.test"}}, {Pattern: "/x", Hosts: []string{"*.test"}}}, nil},
		{"host rule does not cover any host", []Spec{{Pattern: "/*", Hosts: []string{"a.test"}}, {Pattern: "/x"}}, nil},
		{"no hosts covers every host", []Spec{{Pattern: "/*"}, {Pattern: "/x", Hosts: []string{"a.test"}}}, []Shadow{{Rule: 1, By: 0}}},
		{"hosts covered by two", []Spec{
			{Pattern: "/*", Hosts: []string{"a.test"}}, {Pattern: "/y"}, {Pattern: "/*", Hosts: []string{"b.test"}},
			{Pattern: "/x", Hosts: []string{"a.test", "b.test"}},
		}, []Shadow{{Rule: 3, By: 0, Also: []int{2}}}},
		{"hosts partly covered", []Spec{{Pattern: "/*", Hosts: []string{"a.test"}}, {Pattern: "/x", Hosts: []string{"a.test", "c.test"}}}, nil},
		{"other method", []Spec{{Pattern: "/*", Methods: []string{"GET"}}, {Pattern: "/x", Methods: []string{"POST"}}}, nil},
		{"methods covered", []Spec{{Pattern: "/*", Methods: []string{"GET", "POST"}}, {Pattern: "/x", Methods: []string{"post"}}}, []Shadow{{Rule: 1, By: 0}}},
		{"methods by two", []Spec{{Pattern: "/*", Methods: []string{"GET"}}, {Pattern: "/*", Methods: []string{"POST"}}, {Pattern: "/x", Methods: []string{"POST", "GET"}}},
			[]Shadow{{Rule: 2, By: 0, Also: []int{1}}}},
		{"method rule does not cover all methods", []Spec{{Pattern: "/*", Methods: []string{"GET"}}, {Pattern: "/x"}}, nil},
		{"host and method cells", []Spec{
			{Pattern: "/*", Hosts: []string{"a.test"}, Methods: []string{"GET"}},
			{Pattern: "/*", Hosts: []string{"b.test"}},
			{Pattern: "/x", Hosts: []string{"a.test", "b.test"}, Methods: []string{"GET", "PUT"}},
		}, nil},
		{"header narrows", []Spec{{Pattern: "/*", Headers: []KV{{"X-A", "1"}}}, {Pattern: "/x"}}, nil},
		{"same header", []Spec{{Pattern: "/*", Headers: []KV{{"x-a", "1"}}}, {Pattern: "/x", Headers: []KV{{"X-A", "1"}, {"X-B", "2"}}}}, []Shadow{{Rule: 1, By: 0}}},
		{"query narrows", []Spec{{Pattern: "/*", Query: []KV{{"v", "1"}}}, {Pattern: "/x", Query: []KV{{"v", "2"}}}}, nil},
	}
	for _, tt := range tests {
		tab := mustSpecs(t, tt.specs...)
		if got := tab.Shadowed(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestExplain(t *testing.T) {
	tab := mustSpecs(t,
		Spec{Pattern: "/other"},
		Spec{Pattern: "/users/*", Hosts: []string{"admin.example.com"}},
		Spec{Pattern: "/users/*", Methods: []string{"POST"}},
		Spec{Pattern: "/users/*", Headers: []KV{{"X-Canary", "1"}}},
		Spec{Pattern: "/users/*", Query: []KV{{"v", "^2$"}}},
		Spec{Pattern: "/users/{id}"},
		Spec{Pattern: "/*"},
	)
	var c Captures
	r := req(t, "GET", "http://api.example.com/users/42?v=1")
	win, misses := tab.Explain(r, &c)
	want := []Miss{{0, MissPath, ""}, {1, MissHost, ""}, {2, MissMethod, ""}, {3, MissHeader, "X-Canary"}, {4, MissQuery, "v"}}
	if win != 5 || !reflect.DeepEqual(misses, want) || string(c.Get("id", r.Path)) != "42" {
		t.Fatalf("win %d, misses %+v", win, misses)
	}
	if win, misses := tab.Explain(req(t, "GET", "http://x/none"), nil); win != 6 || len(misses) != 6 {
		t.Fatalf("win %d, %d misses", win, len(misses))
	}
}

// TestExplainAgreesWithIndex: over random tables and requests, the indexed
// match and the one-by-one criteria Explain reports agree: every earlier
// rule has a reason, and the winner meets every criterion.
func TestExplainAgreesWithIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	patterns := []string{"/a/*", "/a/b", "/*", "/a/{x}", `^/a/\w+$`, "/b/*.json", "/a/b/c"}
	hosts := []string{"a.test", "b.test", "*.test", "x.a.test", "*.a.test"}
	methods := []string{"GET", "POST", "PUT"}
	for round := 0; round < 200; round++ {
		specs := make([]Spec, 1+rng.IntN(8))
		for i := range specs {
			sp := Spec{Pattern: pick(patterns), TrailingForms: rng.IntN(2) == 0}
			for range rng.IntN(3) {
				sp.Hosts = append(sp.Hosts, pick(hosts))
			}
			for range rng.IntN(2) {
				sp.Methods = append(sp.Methods, pick(methods))
			}
			if rng.IntN(4) == 0 {
				sp.Headers = []KV{{"X-H", pick([]string{"1", "^[12]$"})}}
			}
			if rng.IntN(4) == 0 {
				sp.Query = []KV{{"q", pick([]string{"1", "^[12]$"})}}
			}
			specs[i] = sp
		}
		tab := mustSpecs(t, specs...)
		for range 20 {
			url := fmt.Sprintf("http://%s%s?q=%d", pick([]string{"a.test", "b.test", "c.test", "x.a.test", "y.x.a.test", "other"}),
				pick([]string{"/a/b", "/a/b/", "/a/c", "/b/x.json", "/a/b/c", "/z"}), rng.IntN(3))
			r := req(t, pick(methods), url, "X-H", fmt.Sprint(rng.IntN(3)))
			win, misses := tab.Explain(r, nil)
			for _, m := range misses {
				if m.Reason == "" {
					t.Fatalf("round %d %s %s: rule %d (%+v) meets every criterion but rule %d won", round, r.Method, url, m.Rule, specs[m.Rule], win)
				}
			}
			if win >= 0 {
				if m := tab.rules[win].miss(win, r); m.Reason != "" {
					t.Fatalf("round %d %s %s: rule %d won but fails %s", round, r.Method, url, win, m.Reason)
				}
			}
		}
	}
}

// TestHostVariants: the spellings of one host pick its rules, and hosts
// that are not it (a longer name, a suffix, an oversize or empty Host)
// never do.
func TestHostVariants(t *testing.T) {
	tab := mustSpecs(t,
		Spec{Pattern: "/*", Hosts: []string{"api.example.com"}},
		Spec{Pattern: "/*", Hosts: []string{"*.example.com"}},
	)
	long := strings.Repeat("a", 300) + ".example.com"
	for host, want := range map[string]int{
		"api.example.com": 0, "API.EXAMPLE.COM": 0, "api.example.com.": 0, "api.example.com:443": 0, "api.example.com.:80": 0,
		"x.example.com": 1, "xapi.example.com": 1,
		"api.example.com.evil": -1, "evilapi.example.com.x": -1, "example.com": -1, ".example.com": -1, "a.b.example.com": -1,
		"": -1, ":80": -1, long: -1, "[::1]": -1,
	} {
		r := &Request{Path: []byte("/x"), Host: []byte(host), Method: []byte("GET")}
		if got := tab.MatchRequest(r, nil); got != want {
			t.Errorf("Host %q: rule %d, want %d", host, got, want)
		}
	}
}
