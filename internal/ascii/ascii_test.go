package ascii

import "testing"

func TestEqualFold(t *testing.T) {
	for _, c := range []struct {
		b, s string
		want bool
	}{
		{"Example.COM", "example.com", true},
		{"GET", "get", true},
		{"https", "HTTPS", true},
		{"a-b", "A-B", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"", "", true},
		{"[", "{", false}, // '[' + 32 is '{': only letters fold
		{"\xc3\xa9", "\xc3\x89", false},
	} {
		if got := EqualFold([]byte(c.b), c.s); got != c.want {
			t.Errorf("EqualFold(%q, %q) = %v", c.b, c.s, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { EqualFold([]byte("Host"), "host") }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
