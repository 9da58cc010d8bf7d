package route

import "testing"

func TestHostPattern(t *testing.T) {
	cases := []struct {
		pattern string
		host    string
		want    bool
	}{
		{"api.example.com", "api.example.com", true},
		{"api.example.com", "API.Example.COM", true},
		{"api.example.com", "api.example.com.", true},
		{"api.example.com", "xapi.example.com", false},
		{"*.example.com", "app.example.com", true},
		{"*.example.com", "APP.EXAMPLE.COM", true},
		{"*.example.com", "app.example.com.", true},
		{"*.Example.com", "app.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", ".example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", "app.example.com.evil", false},
		{"*.example.com", "appexample.com", false},
		{"*.example.com", "", false},
		{"127.0.0.1", "127.0.0.1", true},
		{"[::1]", "[::1]", true},
		{"[2001:DB8::1]", "[2001:db8::1]", true},
	}
	for _, c := range cases {
		h, err := ParseHostPattern(c.pattern)
		if err != nil {
			t.Fatalf("ParseHostPattern(%q): %v", c.pattern, err)
		}
		if got := h.Match([]byte(c.host)); got != c.want {
			t.Errorf("%q.Match(%q) = %v, want %v", c.pattern, c.host, got, c.want)
		}
	}
	var zero HostPattern
	if zero.Match([]byte("x")) || zero.Match(nil) {
		t.Error("the zero HostPattern matched")
	}
}

func TestHostPatternInvalid(t *testing.T) {
	for _, s := range []string{"", "*", "*.", "a.*.com", "*example.com", "**.example.com", "*.*.example.com",
		"exa mple.com", "-a.com", "[::1", "[1.2.3.4]", "[fe80::1%eth0]", "host:80", "a..b"} {
		if _, err := ParseHostPattern(s); err == nil {
			t.Errorf("ParseHostPattern(%q) accepted it", s)
		}
	}
}
