package lb

import "math/rand/v2"

// p2c is the power of two choices on peak-EWMA latency: draw two backends
// at random and take the one with the lower cost (ewma+1ns) × (inFlight+1).
// It bounds the worst load imbalance to about ln ln n while reacting to
// slow (or fast-failing, see Backend.Done) backends. Backends without a
// latency sample yet cost least, so new backends get probed at once.
//
// The EWMA only moves when a backend answers, so a backend that was slow
// once would never be sampled again at low load. One pick in 64 therefore
// takes the first draw regardless of cost: about 1.5% of traffic explores,
// and a recovered backend's average falls back within a few dozen answers.
type p2c struct {
	backends []*Backend
}

func newP2C(bs []*Backend) *p2c { return &p2c{backends: bs} }

func cost(b *Backend) uint64 {
	return uint64(b.ewma.Load()+1) * uint64(b.inFlight.Load()+1)
}

func (p *p2c) Pick(_ uint64, f Filter) int {
	n := uint64(len(p.backends))
	if n == 1 {
		if usable(p.backends, f, 0) {
			return 0
		}
		return -1
	}
	r := rand.Uint64()
	a := (r & 0xffffffff) % n
	b := ((r >> 32) & 0x3ffffff) % (n - 1)
	explore := r>>58 == 0
	if b >= a {
		b++ // distinct from a
	}
	ua, ub := usable(p.backends, f, int(a)), usable(p.backends, f, int(b))
	switch {
	case ua && ub:
		if !explore && cost(p.backends[b]) < cost(p.backends[a]) {
			return int(b)
		}
		return int(a)
	case ua:
		return int(a)
	case ub:
		return int(b)
	}
	// Both draws are out: the cheapest usable backend, if any.
	best := -1
	var bestCost uint64
	for i := range p.backends {
		if !usable(p.backends, f, i) {
			continue
		}
		if c := cost(p.backends[i]); best < 0 || c < bestCost {
			best, bestCost = i, c
		}
	}
	return best
}
