package config

import (
	"strings"
	"testing"
)

// TestConfigDashboardHosts: dashboard.hosts takes host names and IP addresses;
// anything else (a port, a scheme, a wildcard) is an error at the key's
// position that says what to write.
func TestConfigDashboardHosts(t *testing.T) {
	l, err := Parse("ok.yaml", []byte("premier:\n  dashboard:\n    token: t\n    hosts: [admin.example.com, \"::1\", 127.0.0.1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if h := l.Config.Dashboard.Hosts; len(h) != 3 || h[0] != "admin.example.com" {
		t.Fatalf("hosts %q", h)
	}
	if l, err := Parse("default.yaml", []byte("premier: {}\n")); err != nil || len(l.Config.Dashboard.Hosts) != 0 {
		t.Fatalf("default hosts: %v %v", err, l)
	}
	_, err = Parse("bad.yaml", []byte("premier:\n  dashboard:\n    hosts: [\"admin.example.com:8443\", \"https://x.example\", \"*.example.com\"]\n"))
	if err == nil {
		t.Fatal("bad hosts accepted")
	}
	for _, want := range []string{
		`bad.yaml:3:5: hosts: "admin.example.com:8443" is not a host name: write the name alone, like admin.example.com`,
		`hosts: "https://x.example" is not a host name`,
		`hosts: "*.example.com" is not a host name`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestValidHostName(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"admin.example.com", true}, {"localhost", true}, {"a-b.c", true}, {"admin.example.com.", true},
		{"127.0.0.1", true}, {"::1", true}, {"[2001:db8::1]", true},
		{"", false}, {"admin.example.com:8443", false}, {"https://admin.example.com", false}, {"*.example.com", false},
		{"admin..example.com", false}, {"-admin.example.com", false}, {"admin.example.com/x", false}, {"fe80::1%eth0", false},
		{"ad min", false},
	} {
		if got := validHostName(c.name); got != c.ok {
			t.Errorf("validHostName(%q) = %v, want %v", c.name, got, c.ok)
		}
	}
}
