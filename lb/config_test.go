package lb

import "testing"

func TestParseURLBasePath(t *testing.T) {
	for _, c := range []struct{ url, base string }{
		{"http://app:8080", ""},
		{"http://app:8080/", ""},
		{"http://app:8080/base", "/base"},
		{"http://app:8080/base/", "/base"},
		{"https://app/a/b%20c", "/a/b%20c"},
	} {
		tgt, err := ParseURL(c.url)
		if err != nil || tgt.Base != c.base {
			t.Errorf("%s: base %q, %v; want %q", c.url, tgt.Base, err, c.base)
		}
		if k, _ := Canonical(c.url); k != "http://app:8080" && k != "https://app:443" {
			t.Errorf("%s: key %q: the base path is not part of the backend's identity", c.url, k)
		}
	}
	for _, u := range []string{
		"http://app/a/../b", "http://app/./a", "http://app/a//b", "http://app/a;b", "http://app/a%2Fb",
		"http://app/a%2e%2e", "http://app/a%00", "http://app/a?x=1", "http://app/a?", "http://app/a#f", "http://u:p@app/a",
	} {
		if _, err := ParseURL(u); err == nil {
			t.Errorf("%s: accepted", u)
		}
	}
}
