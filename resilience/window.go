package resilience

import "sync/atomic"

// RateWindowSize is the smallest number of outcomes a failure-rate breaker
// remembers: its window holds the last max(MinRequests, RateWindowSize)
// outcomes.
const RateWindowSize = 100

// MaxMinRequests bounds BreakerConfig.MinRequests (the window is a bitmap of
// that many outcomes per breaker: 10,000 is 1.25 KiB).
const MaxMinRequests = 10_000

// DefaultMinRequests is MinRequests when FailureRate is set and
// MinRequests is not.
const DefaultMinRequests = 20

// rateWindow is a count-based sliding window over the last size outcomes:
// one bit per outcome in a ring (1: failure) and the number of set bits.
// Recording is lock-free and does not allocate: an atomic counter hands out
// slots, Or/And set or clear the slot's bit and report what it held, so the
// failure count stays equal to the bits set whatever the interleaving.
type rateWindow struct {
	bits  []atomic.Uint64
	size  uint64
	seen  atomic.Uint64 // outcomes recorded since the last reset
	fails atomic.Int64  // bits set in bits
	min   uint64        // outcomes needed before the rate is judged
	ppm   uint64        // failure rate that opens, in millionths
}

func newRateWindow(minRequests int, rate float64) *rateWindow {
	size := uint64(max(minRequests, RateWindowSize))
	return &rateWindow{
		bits: make([]atomic.Uint64, (size+63)/64),
		size: size,
		min:  uint64(minRequests),
		ppm:  uint64(rate*1e6 + 0.5),
	}
}

// record adds one outcome and reports whether the window now asks to open:
// at least min outcomes seen since the last reset, and failures/total at
// or above the rate (total is the outcomes the window holds, at most size).
// Only a failure can open.
func (w *rateWindow) record(failure bool) bool {
	i := w.seen.Add(1) - 1
	slot := i % w.size
	word, bit := &w.bits[slot>>6], uint64(1)<<(slot&63)
	if !failure {
		if word.Load()&bit != 0 && word.And(^bit)&bit != 0 {
			w.fails.Add(-1)
		}
		return false
	}
	f := w.fails.Load()
	if word.Or(bit)&bit == 0 {
		f = w.fails.Add(1)
	}
	return w.opens(uint64(max(f, 0)), min(i+1, w.size))
}

// opens is the window's rule on fails failures among total outcomes.
func (w *rateWindow) opens(fails, total uint64) bool {
	return total >= w.min && fails*1e6 >= w.ppm*total
}

// failures is the number of failures the window holds.
func (w *rateWindow) failures() int { return int(max(w.fails.Load(), 0)) }

// reset empties the window. It runs while no closed-state call of the
// current generation can report (on the way from half-open to closed); a
// result from a call that raced an earlier generation may still land, which
// at worst adds one outcome.
func (w *rateWindow) reset() {
	w.seen.Store(0)
	for i := range w.bits {
		w.bits[i].Store(0)
	}
	w.fails.Store(0)
}
