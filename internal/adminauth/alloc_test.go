//go:build !race

package adminauth

import "testing"

// The gateway checks dashboard.hosts on every request under the prefix.
func TestHostAllowedAllocs(t *testing.T) {
	names := []string{"a.example", "admin.example.com"}
	host := []byte("Admin.Example.com:8443")
	if n := testing.AllocsPerRun(100, func() { HostAllowed(host, names) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
