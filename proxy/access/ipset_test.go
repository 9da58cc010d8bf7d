package access

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

func mustPrefixes(t testing.TB, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		p, err := ParsePrefix(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.0/8":          "10.0.0.0/8",
		"10.1.2.3/8":          "10.0.0.0/8",
		"192.0.2.7":           "192.0.2.7/32",
		" 192.0.2.7 ":         "192.0.2.7/32",
		"2001:db8::/32":       "2001:db8::/32",
		"2001:db8::1":         "2001:db8::1/128",
		"::ffff:10.0.0.0/104": "10.0.0.0/8",
		"::ffff:10.0.0.1":     "10.0.0.1/32",
		"0.0.0.0/0":           "0.0.0.0/0",
		"::/0":                "::/0",
	} {
		p, err := ParsePrefix(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "10.0.0.300/8", "10.0.0.0/33", "2001:db8::/129", "fe80::1%eth0", "example.com", "10.0.0/8", "10.0.0.0/", "1.2.3.4/-1"} {
		if _, err := ParsePrefix(bad); err == nil {
			t.Errorf("ParsePrefix(%q) accepted it", bad)
		}
	}
}

func TestSetContains(t *testing.T) {
	s := NewSet(mustPrefixes(t, "10.0.0.0/8", "10.1.0.0/16", "192.168.1.0/24", "192.168.2.0/24", "203.0.113.9",
		"2001:db8::/32", "2001:db8:1::/48", "fe80::/10", "::1", "255.255.255.255/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"))
	if got := s.Ranges(); got != 8 { // 10/8 absorbs 10.1/16; the two /24 merge; 2001:db8::/32 absorbs its /48
		t.Errorf("Ranges = %d, want 8", got)
	}
	for addr, want := range map[string]bool{
		"10.0.0.0": true, "10.255.255.255": true, "9.255.255.255": false, "11.0.0.0": false,
		"192.168.1.0": true, "192.168.2.255": true, "192.168.3.0": false, "192.168.0.255": false,
		"203.0.113.9": true, "203.0.113.8": false, "203.0.113.10": false,
		"255.255.255.255": true, "0.0.0.0": false,
		"2001:db8::": true, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff": true, "2001:db9::": false, "2001:db7:ffff::": false,
		"fe80::1": true, "febf:ffff::": true, "fec0::": false, "::1": true, "::2": false, "::": false,
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": true,
		"::ffff:10.2.3.4":                         true, // mapped: looked up as IPv4
	} {
		if got := s.Contains(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", addr, got, want)
		}
	}
	if s.Contains(netip.Addr{}) {
		t.Error("an invalid address was in the set")
	}
	var nilSet *Set
	if nilSet.Contains(netip.MustParseAddr("10.0.0.1")) || !nilSet.Empty() {
		t.Error("a nil set is not empty")
	}
}

// TestSetMatchesLinearScan compares the range table with a scan of the
// prefixes on random sets and addresses, both families.
func TestSetMatchesLinearScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		ps := randomPrefixes(r, 1+r.IntN(300))
		s := NewSet(ps)
		for i := 0; i < 2000; i++ {
			var ip netip.Addr
			if i%3 == 0 { // near a prefix: inside or just outside it
				p := ps[r.IntN(len(ps))]
				ip = p.Addr()
				if r.IntN(2) == 0 {
					ip = ip.Prev()
				}
			} else {
				ip = randomAddr(r, r.IntN(2) == 0)
			}
			if !ip.IsValid() {
				continue
			}
			want := false
			for _, p := range ps {
				want = want || p.Contains(ip)
			}
			if got := s.Contains(ip); got != want {
				t.Fatalf("round %d: Contains(%s) = %v, linear scan says %v", round, ip, got, want)
			}
		}
	}
}

func randomAddr(r *rand.Rand, v4 bool) netip.Addr {
	if v4 {
		// A narrow space so random prefixes overlap and touch.
		return netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
	}
	var a [16]byte
	a[0], a[1], a[2] = 0x20, 0x01, byte(r.IntN(4))
	for i := 3; i < 16; i++ {
		a[i] = byte(r.IntN(256))
	}
	return netip.AddrFrom16(a)
}

func randomPrefixes(r *rand.Rand, n int) []netip.Prefix {
	ps := make([]netip.Prefix, n)
	for i := range ps {
		if r.IntN(2) == 0 {
			ps[i] = netip.PrefixFrom(randomAddr(r, true), 14+r.IntN(19)).Masked()
		} else {
			ps[i] = netip.PrefixFrom(randomAddr(r, false), 20+r.IntN(109)).Masked()
		}
	}
	return ps
}

func TestFilter(t *testing.T) {
	cases := []struct {
		allow, deny []CIDR
		addr        string
		want        bool
	}{
		{nil, nil, "192.0.2.1", true},
		{nil, []CIDR{"192.0.2.0/24"}, "192.0.2.1", false},
		{nil, []CIDR{"192.0.2.0/24"}, "198.51.100.1", true},
		{[]CIDR{"10.0.0.0/8"}, nil, "10.9.9.9", true},
		{[]CIDR{"10.0.0.0/8"}, nil, "11.0.0.1", false},
		{[]CIDR{"10.0.0.0/8"}, []CIDR{"10.1.2.3/32"}, "10.1.2.3", false}, // deny wins
		{[]CIDR{"10.0.0.0/8"}, []CIDR{"10.1.2.3/32"}, "10.1.2.4", true},
		{[]CIDR{"10.1.2.3"}, []CIDR{"10.0.0.0/8"}, "10.1.2.3", false}, // deny wins whatever the widths
		{[]CIDR{"2001:db8::/32"}, nil, "2001:db8::5", true},
		{[]CIDR{"2001:db8::/32"}, nil, "2001:db9::5", false},
		{[]CIDR{"2001:db8::/32"}, []CIDR{"2001:db8::5"}, "2001:db8::5", false},
		{[]CIDR{"10.0.0.0/8"}, nil, "::ffff:10.0.0.1", true},
	}
	for _, c := range cases {
		f, err := NewFilter(&FilterConfig{Allow: c.allow, Deny: c.deny})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Allowed(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("allow %v deny %v: Allowed(%s) = %v, want %v", c.allow, c.deny, c.addr, got, c.want)
		}
	}
	f, _ := NewFilter(&FilterConfig{Allow: []CIDR{"10.0.0.0/8"}})
	if f.Allowed(netip.Addr{}) {
		t.Error("an unknown client address passed an allow list")
	}
	f, _ = NewFilter(&FilterConfig{Deny: []CIDR{"10.0.0.0/8"}})
	if !f.Allowed(netip.Addr{}) {
		t.Error("an unknown client address was refused by a deny list alone")
	}
}
