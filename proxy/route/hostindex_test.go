package route

import (
	"strings"
	"testing"
)

// TestHostIndexLookupAsCanonical: the index's shortcuts (a canonical host
// looked up without a copy, the key-length sets) find exactly what a
// lookup of canonicalHost's form in the maps finds, for hosts as clients
// write them.
func TestHostIndexLookupAsCanonical(t *testing.T) {
	rules := []rule{
		{hosts: mustHosts(t, "api.example.com", "*.svc.example.com")},
		{hosts: mustHosts(t, "[::1]", "10.0.0.1", "*.example.org")},
		{hosts: mustHosts(t, strings.Repeat("a", 60)+".example.net")},
	}
	hx := buildHostIndex(rules)
	reference := func(host []byte) *index {
		var buf [maxHost]byte
		h, ok := canonicalHost(buf[:0], host)
		if !ok {
			return nil
		}
		if i, ok := hx.exact[string(h)]; ok {
			return &hx.sets[i]
		}
		if h[0] == '[' {
			return nil
		}
		if j := strings.IndexByte(string(h), '.'); j > 0 {
			if i, ok := hx.wild[string(h[j:])]; ok {
				return &hx.sets[i]
			}
		}
		return nil
	}
	hosts := []string{
		"api.example.com", "API.Example.COM", "api.example.com:8080", "api.example.com.", "api.example.com.:443",
		"a.svc.example.com", "A.SVC.example.com:1", "svc.example.com", "a.b.svc.example.com", ".svc.example.com",
		"[::1]", "[::1]:8443", "[::2]", "10.0.0.1", "10.0.0.1:80", "x.example.org", "example.org", "example.com",
		strings.Repeat("a", 60) + ".example.net", strings.Repeat("A", 60) + ".example.net:9",
		"", ":", ".", "..", "[", "]", strings.Repeat("x", 300), strings.Repeat("x", 256), "x." + strings.Repeat("y", 255),
	}
	for _, h := range hosts {
		got, want := hx.lookup([]byte(h)), reference([]byte(h))
		if got != want {
			t.Errorf("%q: lookup %p, canonical form %p", h, got, want)
		}
	}
	if hx.lookup([]byte("API.example.com:80")) == nil || hx.lookup([]byte("b.svc.example.com")) == nil {
		t.Fatal("the index finds nothing")
	}
}

func mustHosts(t *testing.T, names ...string) []HostPattern {
	t.Helper()
	var out []HostPattern
	for _, n := range names {
		p, err := ParseHostPattern(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}
