package route

import "testing"

func TestRegexLiteralPrefix(t *testing.T) {
	for p, want := range map[string]string{
		`^/v2/(orders|items)/[0-9]+$`: "/v2/",
		`^/api/x$`:                    "/api/x",
		`^/ab?c`:                      "/a",
		`^(?i)/api/`:                  "",
		`^/a|^/b`:                     "",
		`(?m)^/api/`:                  "",
		`^[/]api`:                     "/api",
		`^.*\.php$`:                   "",
	} {
		if got := regexLiteralPrefix(p); got != want {
			t.Errorf("regexLiteralPrefix(%q) = %q, want %q", p, got, want)
		}
	}
}

// Regex rules indexed in the trie keep first-match order with the other
// rules and with the regexes that stay in the linear list.
func TestMatchIndexedRegexOrder(t *testing.T) {
	tab, errs := Compile([]string{
		`^/v2/items/[0-9]+$`, // 0: indexed under "/v2/items/"
		"/v2/*",              // 1
		`^(?i)/V3/.*$`,       // 2: no certain prefix, linear
		`^/v3/a$`,            // 3: indexed, but 2 comes first
		`^/v4/(?P<id>[0-9]+)$`,
		"/*",
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var c Captures
	for path, want := range map[string]int{
		"/v2/items/7": 0,
		"/v2/items/x": 1,
		"/v2":         5,
		"/v3/a":       2,
		"/v4/42":      4,
		"/v4/x":       5,
		"/v5/items/7": 5,
	} {
		if got := tab.Match([]byte(path), &c); got != want {
			t.Errorf("Match(%q) = %d, want %d", path, got, want)
		}
	}
	path := []byte("/v4/42")
	tab.Match(path, &c)
	if v := c.Get("id", path); string(v) != "42" {
		t.Errorf("capture id = %q, want 42", v)
	}
}
