package mpsc

import "sync/atomic"

// Ring is a bounded multi-producer, single-consumer queue of T (Vyukov's
// bounded queue: each slot's sequence number says whose turn it is).
// Producers never wait: a full ring refuses the claim.
type Ring[T any] struct {
	slots []slot[T]
	mask  uint64
	// quarter is a quarter of the ring less one: the position with these
	// bits set closes a quarter (Publish).
	quarter uint64
	head    paddedCounter // next position producers claim
	tail    uint64        // next position the consumer reads (its goroutine only)
}

type slot[T any] struct {
	seq atomic.Uint64
	v   T
}

// paddedCounter keeps the producers' counter off the cache lines of the
// ring's other fields, which the consumer reads.
type paddedCounter struct {
	_ [64]byte
	v atomic.Uint64
	_ [64]byte
}

// New returns a ring of at least n slots (rounded up to a power of two).
func New[T any](n int) *Ring[T] {
	size := 1
	for size < n {
		size <<= 1
	}
	r := &Ring[T]{slots: make([]slot[T], size), mask: uint64(size - 1), quarter: uint64(max(size/4, 1) - 1)}
	for i := range r.slots {
		r.slots[i].seq.Store(uint64(i))
	}
	return r
}

// Len is the number of slots.
func (r *Ring[T]) Len() int { return len(r.slots) }

// Claim returns a free slot's value to fill and its position (for
// Publish), or nil when the ring is full. The value holds whatever the
// slot held last: the producer overwrites what it uses.
func (r *Ring[T]) Claim() (*T, uint64) {
	pos := r.head.v.Load()
	for {
		s := &r.slots[pos&r.mask]
		seq := s.seq.Load()
		switch d := int64(seq - pos); {
		case d == 0:
			if r.head.v.CompareAndSwap(pos, pos+1) {
				return &s.v, pos
			}
			pos = r.head.v.Load()
		case d < 0:
			return nil, 0 // the slot still holds a value the consumer has not taken
		default:
			pos = r.head.v.Load() // another producer took it
		}
	}
}

// Publish hands the slot claimed at pos to the consumer. It reports
// whether pos closes a quarter of the ring: the producer then wakes a
// consumer that drains in batches.
func (r *Ring[T]) Publish(pos uint64) bool {
	r.slots[pos&r.mask].seq.Store(pos + 1)
	return pos&r.quarter == r.quarter
}

// Peek returns the oldest published value, or nil. Consumer only.
func (r *Ring[T]) Peek() *T {
	s := &r.slots[r.tail&r.mask]
	if s.seq.Load() != r.tail+1 {
		return nil
	}
	return &s.v
}

// Release gives the value Peek returned back to the producers. Consumer
// only; the value must not be read after it.
func (r *Ring[T]) Release() {
	r.slots[r.tail&r.mask].seq.Store(r.tail + r.mask + 1)
	r.tail++
}
