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

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{
		"X-Request-ID": true, "GET": true, "!#$%&'*+-.^_`|~09az": true,
		"": false, "a b": false, "a:b": false, "é": false, "a\r": false, "(x)": false,
	} {
		if got := IsToken(s); got != want {
			t.Errorf("IsToken(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestTrimOWS(t *testing.T) {
	for in, want := range map[string]string{" \ta b\t ": "a b", "": "", " \t": "", "x": "x"} {
		if got := string(TrimOWS([]byte(in))); got != want {
			t.Errorf("TrimOWS(%q) = %q, want %q", in, got, want)
		}
	}
}
