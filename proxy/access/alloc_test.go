//go:build !race

package access

import (
	"fmt"
	"net/netip"
	"testing"
)

func TestLookupAllocs(t *testing.T) {
	var allow []CIDR
	for i := 0; i < 10000; i++ {
		allow = append(allow, CIDR(fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)))
	}
	allow = append(allow, "2001:db8::/32")
	f, err := NewFilter(&FilterConfig{Allow: allow, Deny: []CIDR{"10.1.2.3"}})
	if err != nil {
		t.Fatal(err)
	}
	v4, v6 := netip.MustParseAddr("10.20.30.40"), netip.MustParseAddr("2001:db8::1")
	if n := testing.AllocsPerRun(200, func() { f.Allowed(v4); f.Allowed(v6) }); n != 0 {
		t.Errorf("Filter.Allowed: %v allocs/op, want 0", n)
	}
	c, err := NewCORS(&CORSConfig{AllowOrigins: []string{"https://app.example.com", "https://*.example.org"}, AllowMethods: []string{"GET"}})
	if err != nil {
		t.Fatal(err)
	}
	o1, o2, m := []byte("https://x.example.org"), []byte("https://nope.test"), []byte("GET")
	if n := testing.AllocsPerRun(200, func() { c.OriginAllowed(o1); c.OriginAllowed(o2); c.MethodAllowed(m) }); n != 0 {
		t.Errorf("CORS checks: %v allocs/op, want 0", n)
	}
}
