package lb

import "sync/atomic"

// maxSequence bounds the precomputed weighted sequence; larger weight sums
// are scaled down (each weight stays at least 1).
const maxSequence = 1 << 16

// weighted is nginx's smooth weighted round robin, precomputed: weights only
// change on reload, so the whole cycle (length Σw after dividing by the
// weights' gcd) is built once and indexed with one atomic counter. For
// weights {5,1,1} it yields a a b a c a a, never a a a a a b c.
type weighted struct {
	_        [64]byte
	next     atomic.Uint64
	_        [56]byte
	seq      []uint16 // backend index per turn
	backends []*Backend
}

func newWeighted(bs []*Backend, weights []int) *weighted {
	w := normaliseWeights(weights, len(bs))
	total := 0
	for _, x := range w {
		total += x
	}
	seq := make([]uint16, 0, total)
	current := make([]int, len(w))
	for range total {
		best := 0
		for i := range w {
			current[i] += w[i]
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		seq = append(seq, uint16(best))
	}
	return &weighted{seq: seq, backends: bs}
}

// normaliseWeights divides by the gcd and scales sums over maxSequence down.
func normaliseWeights(weights []int, n int) []int {
	w := make([]int, n)
	for i := range w {
		w[i] = 1
		if weights != nil {
			w[i] = weights[i]
		}
	}
	g := 0
	total := 0
	for _, x := range w {
		g = gcd(g, x)
	}
	for i := range w {
		w[i] /= g
		total += w[i]
	}
	if total > maxSequence {
		for i := range w {
			w[i] = max(1, int(int64(w[i])*maxSequence/int64(total)))
		}
	}
	return w
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (r *weighted) Pick(_ uint64, f Filter) int {
	n := uint64(len(r.seq))
	c := r.next.Add(1) - 1
	pos := c % n
	i := int(r.seq[pos])
	if usable(r.backends, f, i) {
		return i
	}
	// The turn's owner is out: hand the turn to the owner of a pseudo-random
	// other turn, so the others keep their relative shares (taking the next
	// turn would favour whoever follows the missing backend in the cycle).
	// Bounded, then a plain scan.
	for k := uint64(1); k <= 2*uint64(len(r.backends)); k++ {
		if j := int(r.seq[mix(c+k<<32)%n]); usable(r.backends, f, j) {
			return j
		}
	}
	nb := len(r.backends)
	for k := 1; k < nb; k++ {
		j := (i + k) % nb
		if usable(r.backends, f, j) {
			return j
		}
	}
	return -1
}
