package lb

import "hash/fnv"

// ipHash is rendezvous (highest random weight) hashing on the client hash:
// each backend scores hash(client, backend) and the highest usable score
// wins. When a backend becomes unusable only its own clients move (each to
// its second choice); the rest stay put. A backend's seed is a hash of its
// URL, so assignments survive reloads and reordering of the server list.
// Weights are ignored.
type ipHash struct {
	seeds    []uint64
	backends []*Backend
}

func newIPHash(bs []*Backend) *ipHash {
	seeds := make([]uint64, len(bs))
	for i, b := range bs {
		h := fnv.New64a()
		h.Write([]byte(b.URL))
		seeds[i] = mix(h.Sum64())
	}
	return &ipHash{seeds: seeds, backends: bs}
}

// mix is the splitmix64 finaliser: a cheap, well-spread 64-bit hash.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func (h *ipHash) Pick(clientHash uint64, f Filter) int {
	best := -1
	var bestScore uint64
	c := mix(clientHash)
	for i, s := range h.seeds {
		score := (c ^ s) * 0x9e3779b97f4a7c15 // c and s are mixed already
		score ^= score >> 32
		if (best < 0 || score > bestScore) && usable(h.backends, f, i) {
			best, bestScore = i, score
		}
	}
	return best
}
