package access

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// BenchmarkSetContains10k looks addresses up in a set of 10,000 random
// prefixes of both families: a binary search, a handful of comparisons.
func BenchmarkSetContains10k(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	var ps []netip.Prefix
	for len(ps) < 10000 {
		a := [4]byte{byte(r.IntN(224)), byte(r.IntN(256)), byte(r.IntN(256)), 0}
		ps = append(ps, netip.PrefixFrom(netip.AddrFrom4(a), 16+r.IntN(17)).Masked())
		var a6 [16]byte
		a6[0], a6[1] = 0x20, 0x01
		for i := 2; i < 8; i++ {
			a6[i] = byte(r.IntN(256))
		}
		ps = append(ps, netip.PrefixFrom(netip.AddrFrom16(a6), 32+r.IntN(33)).Masked())
	}
	s := NewSet(ps)
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		if i%2 == 0 {
			addrs[i] = netip.AddrFrom4([4]byte{byte(r.IntN(224)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		} else {
			addrs[i] = ps[r.IntN(len(ps))].Addr()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Contains(addrs[i&1023])
	}
}

func BenchmarkCORSOrigin(b *testing.B) {
	c, err := NewCORS(&CORSConfig{AllowOrigins: []string{"https://a.example.com", "https://b.example.com", "https://*.example.org"}})
	if err != nil {
		b.Fatal(err)
	}
	o := []byte("https://app.example.org")
	b.ReportAllocs()
	for b.Loop() {
		c.OriginAllowed(o)
	}
}
