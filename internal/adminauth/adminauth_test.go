package adminauth

import "testing"

func TestHostAllowed(t *testing.T) {
	names := []string{"admin.example.com", "[::1]", "10.0.0.5."}
	for _, c := range []struct {
		host string
		ok   bool
	}{
		{"admin.example.com", true}, {"ADMIN.Example.COM:8443", true}, {"admin.example.com.", true},
		{"admin.example.com.:80", true}, {"[::1]:8000", true}, {"[::1]", true}, {"10.0.0.5:8000", true},
		{"example.com", false}, {"app.admin.example.com", false}, {"admin.example.com.evil", false},
		{"", false}, {"127.0.0.1", false}, {"admin.example.co", false},
	} {
		if got := HostAllowed([]byte(c.host), names); got != c.ok {
			t.Errorf("HostAllowed(%q) = %v, want %v", c.host, got, c.ok)
		}
	}
	if !HostAllowed([]byte("anything"), nil) {
		t.Error("an empty list must allow every host")
	}
}
