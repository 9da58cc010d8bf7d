package redact

import "testing"

func TestURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://host:80", "http://host:80"},
		{"http://admin:s3cret@host:80", "http://admin:xxxxx@host:80"},
		{"redis://:pw@127.0.0.1:6379/0", "redis://:xxxxx@127.0.0.1:6379/0"},
		{"https://tok3n@host/db", "https://xxxxx@host/db"},
		{"https://tok3n@host/path@x", "https://xxxxx@x"}, // hides too much rather than too little
		{"http://a:b@c@host:bad port", "http://a:xxxxx@host:bad port"},
		{"http://a:p/w@host", "http://a:xxxxx@host"}, // malformed, and still hidden
		{"http://host/?q=a@b", "http://host/?q=a@b"},
		{"not a url a:b@c", "not a url a:b@c"},
		{"", ""},
	} {
		if got := URL(c.in); got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
