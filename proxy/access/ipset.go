package access

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// Set is a set of IP prefixes compiled into two sorted tables of
// disjoint, non-adjacent address ranges (one per family). Contains is a
// binary search over one table: with 10,000 prefixes that is about 14
// comparisons, and it never allocates. A nil *Set is empty.
type Set struct {
	v4 []range4
	v6 []range6
}

type range4 struct{ lo, hi uint32 }

// u128 is an IPv6 address as two big-endian halves, ordered by hi then lo.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

// next is a+1 (wrapping at the top of the space, which the callers check).
func (a u128) next() u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

type range6 struct{ lo, hi u128 }

// NewSet builds the set of addresses covered by prefixes (masked, IPv4
// ones unmapped as ParsePrefix returns them).
func NewSet(prefixes []netip.Prefix) *Set {
	s := &Set{}
	for _, p := range prefixes {
		p = p.Masked()
		if p.Addr().Is4() {
			lo := binary.BigEndian.Uint32(p.Addr().AsSlice())
			hi := lo | uint32(uint64(1)<<(32-p.Bits())-1)
			s.v4 = append(s.v4, range4{lo, hi})
			continue
		}
		a := p.Addr().As16()
		lo := u128{binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])}
		hi := lo
		if host := 128 - p.Bits(); host >= 64 {
			hi.lo = ^uint64(0)
			hi.hi |= uint64(1)<<(host-64) - 1
			if host == 128 {
				hi.hi = ^uint64(0)
			}
		} else {
			hi.lo |= uint64(1)<<host - 1
		}
		s.v6 = append(s.v6, range6{lo, hi})
	}
	s.v4 = merge4(s.v4)
	s.v6 = merge6(s.v6)
	return s
}

// merge4 sorts rs and merges overlapping and adjacent ranges.
func merge4(rs []range4) []range4 {
	slices.SortFunc(rs, func(a, b range4) int {
		if a.lo < b.lo {
			return -1
		}
		if a.lo > b.lo {
			return 1
		}
		return 0
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && (out[n-1].hi == ^uint32(0) || r.lo <= out[n-1].hi+1) {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

// merge6 is merge4 for IPv6 ranges.
func merge6(rs []range6) []range6 {
	slices.SortFunc(rs, func(a, b range6) int {
		if a.lo.less(b.lo) {
			return -1
		}
		if b.lo.less(a.lo) {
			return 1
		}
		return 0
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			top := last.hi == u128{^uint64(0), ^uint64(0)}
			if top || !last.hi.next().less(r.lo) {
				if last.hi.less(r.hi) {
					last.hi = r.hi
				}
				continue
			}
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

// Empty reports whether s holds no address.
func (s *Set) Empty() bool { return s == nil || len(s.v4)+len(s.v6) == 0 }

// Ranges is the number of disjoint ranges s keeps (after merging).
func (s *Set) Ranges() int {
	if s == nil {
		return 0
	}
	return len(s.v4) + len(s.v6)
}

// Contains reports whether ip is in s. IPv4-mapped IPv6 addresses are
// looked up as IPv4; an invalid Addr is in no set.
func (s *Set) Contains(ip netip.Addr) bool {
	if s == nil || !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	if ip.Is4() {
		a := ip.As4()
		x := binary.BigEndian.Uint32(a[:])
		rs := s.v4
		// The last range starting at or below x is the only candidate.
		lo, hi := 0, len(rs)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if rs[m].lo <= x {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo > 0 && x <= rs[lo-1].hi
	}
	a := ip.As16()
	x := u128{binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])}
	rs := s.v6
	lo, hi := 0, len(rs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !x.less(rs[m].lo) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo > 0 && !rs[lo-1].hi.less(x)
}
