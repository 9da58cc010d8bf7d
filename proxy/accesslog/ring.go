package accesslog

import "sync/atomic"

// ring is a bounded multi-producer, single-consumer queue of records
// (Vyukov's bounded queue: each slot's sequence number says whose turn it
// is). Producers never wait: a full ring refuses the record.
type ring struct {
	slots []Record
	mask  uint64
	// quarter is a quarter of the ring less one: the record at a position
	// with these bits set wakes the writer (Commit).
	quarter uint64
	head    paddedCounter // next position producers claim
	tail    uint64        // next position the consumer reads (its goroutine only)
}

type paddedCounter struct {
	_ [64]byte
	v atomic.Uint64
	_ [64]byte
}

func newRing(n int) *ring {
	size := 1
	for size < n {
		size <<= 1
	}
	r := &ring{slots: make([]Record, size), mask: uint64(size - 1), quarter: uint64(max(size/4, 1) - 1)}
	for i := range r.slots {
		r.slots[i].seq.Store(uint64(i))
	}
	return r
}

// claim returns a free record to fill, or nil when the ring is full.
func (r *ring) claim() *Record {
	pos := r.head.v.Load()
	for {
		s := &r.slots[pos&r.mask]
		seq := s.seq.Load()
		switch d := int64(seq - pos); {
		case d == 0:
			if r.head.v.CompareAndSwap(pos, pos+1) {
				s.pos = pos
				s.reset()
				return s
			}
			pos = r.head.v.Load()
		case d < 0:
			return nil // the slot still holds a record the writer has not taken
		default:
			pos = r.head.v.Load() // another producer took it
		}
	}
}

// publish hands a claimed record to the consumer.
func (r *ring) publish(s *Record) { s.seq.Store(s.pos + 1) }

// peek returns the next published record, or nil.
func (r *ring) peek() *Record {
	s := &r.slots[r.tail&r.mask]
	if s.seq.Load() != r.tail+1 {
		return nil
	}
	return s
}

// release gives the record peek returned back to the producers.
func (r *ring) release(s *Record) {
	s.seq.Store(r.tail + r.mask + 1)
	r.tail++
}
