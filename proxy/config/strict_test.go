package config

import (
	"strings"
	"testing"
)

func TestConfigStrictRule(t *testing.T) {
	l, err := Parse("s.yaml", []byte(`premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: "/api/login"
      strict: true
      features:
        rate_limit: {quota: 5, duration: 60}
    - pattern: "/api/logout"
      features:
        rate_limit: {quota: 5, duration: 60}
    - pattern: "/health"
      strict: true
    - pattern: "/metrics"
`))
	if err != nil {
		t.Fatal(err)
	}
	tab := l.Routes()
	for path, want := range map[string]int{
		"/api/login": 0, "/api/login/": -1, // strict
		"/api/logout": 1, "/api/logout/": 1, "/api/logout.": 1, // policies: trailing forms too
		"/health": 2, "/metrics": 3, "/metrics/": -1, // no policies: the path only
	} {
		if got := tab.Match([]byte(path), nil); got != want {
			t.Errorf("%s: rule %d, want %d", path, got, want)
		}
	}
	if len(l.Warnings) != 1 || !strings.HasPrefix(l.Warnings[0].String(), `s.yaml:12:7: warning: strict: has no effect on "/health"`) {
		t.Errorf("warnings: %q", warnings(l))
	}

	_, err = Parse("s.yaml", []byte(`premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: "/api/*"
      strict: true
      features:
        rate_limit: {quota: 5, duration: 60}
`))
	if err == nil || !strings.Contains(err.Error(), `s.yaml:5:7: strict: only applies to an exact pattern (a literal path), and "/api/*" is not one`) {
		t.Fatalf("strict on a glob: %v", err)
	}
}
