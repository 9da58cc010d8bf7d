package lb

import "sync/atomic"

// leastConn picks the usable backend with the fewest in-flight requests per
// unit of weight. The scan starts at a rotating offset so ties (an idle
// pool) spread round robin instead of piling on the first backend.
type leastConn struct {
	_        [64]byte
	next     atomic.Uint64
	_        [56]byte
	weights  []int64
	backends []*Backend
}

func newLeastConn(bs []*Backend, weights []int) *leastConn {
	w := make([]int64, len(bs))
	for i := range w {
		w[i] = 1
		if weights != nil {
			w[i] = int64(weights[i])
		}
	}
	return &leastConn{weights: w, backends: bs}
}

func (l *leastConn) Pick(_ uint64, f Filter) int {
	n := len(l.backends)
	start := int((l.next.Add(1) - 1) % uint64(n))
	best := -1
	var bestLoad, bestW int64
	for k := range n {
		i := start + k
		if i >= n {
			i -= n
		}
		if !usable(l.backends, f, i) {
			continue
		}
		load, w := l.backends[i].inFlight.Load(), l.weights[i]
		// load/w < bestLoad/bestW without division.
		if best < 0 || load*bestW < bestLoad*w {
			best, bestLoad, bestW = i, load, w
		}
	}
	return best
}
