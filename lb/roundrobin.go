package lb

import "sync/atomic"

// roundRobin hands out backends in turn from one atomic counter, skipping
// unusable ones (the next usable backend takes the skipped turn).
type roundRobin struct {
	_        [64]byte
	next     atomic.Uint64
	_        [56]byte
	backends []*Backend
}

func newRoundRobin(bs []*Backend) *roundRobin { return &roundRobin{backends: bs} }

func (r *roundRobin) Pick(_ uint64, f Filter) int {
	n := uint64(len(r.backends))
	start := (r.next.Add(1) - 1) % n
	for k := uint64(0); k < n; k++ {
		i := start + k
		if i >= n {
			i -= n
		}
		if usable(r.backends, f, int(i)) {
			return int(i)
		}
	}
	return -1
}
