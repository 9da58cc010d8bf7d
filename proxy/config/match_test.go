package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/premier-gateway/premier/proxy/route"
)

func TestMatchCriteriaDecode(t *testing.T) {
	l, err := Parse("m.yaml", []byte(`premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: "/api/*"
      hosts: ["api.example.com", "*.api.example.com"]
      methods: [GET, post]
      headers: {X-Canary: "1"}
      query: {version: "^v[23]$", n: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	sp := l.Config.Paths[0].Spec()
	want := route.Spec{Pattern: "/api/*", Hosts: []string{"api.example.com", "*.api.example.com"}, Methods: []string{"GET", "post"},
		Headers: []route.KV{{Name: "X-Canary", Value: "1"}}, Query: []route.KV{{Name: "n", Value: "2"}, {Name: "version", Value: "^v[23]$"}}}
	if !reflect.DeepEqual(sp, want) {
		t.Fatalf("spec %+v", sp)
	}
}

// TestMatchCriteriaErrors: each bad criterion is refused at its key.
func TestMatchCriteriaErrors(t *testing.T) {
	_, err := Parse("m.yaml", []byte(`premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: "/a"
      hosts: ["a.example.com:80"]
    - pattern: "/b"
      methods: ["G T"]
    - pattern: "/c"
      headers: {X-A: "^(bad"}
    - pattern: "/d"
      query: {a: [1]}
    - pattern: "/e"
      hosts: ["a.*.example.com"]
`))
	for _, want := range []string{
		`m.yaml:5:7: hosts: "a.example.com:80": a host name without a port`,
		`m.yaml:7:7: methods: "G T" is not a method name`,
		`m.yaml:9:7: headers: X-A: "^(bad": error parsing regexp`,
		`m.yaml:11:14: a: want a text value`,
		`m.yaml:13:7: hosts: "a.*.example.com": a wildcard is only allowed`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestShadowedByHostsWarns(t *testing.T) {
	l, err := Parse("s.yaml", []byte(`premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: "/*"
      hosts: ["a.example.com"]
    - pattern: "/*"
      methods: [GET]
    - pattern: "/x"
      hosts: ["b.example.com"]
    - pattern: "/y"
      hosts: ["a.example.com", "b.example.com"]
      methods: [GET]
`))
	if err != nil {
		t.Fatal(err)
	}
	w := warnings(l)
	if want := `s.yaml:10:7: warning: rule 4 ("/y") can never match: rules 1 ("/*"), 2 ("/*") before it cover every request it matches`; !strings.Contains(w, want) || strings.Contains(w, "rule 3") {
		t.Fatalf("warnings: %q", w)
	}
}
