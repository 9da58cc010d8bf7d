package limiter

import (
	"math/bits"
	"sync/atomic"
)

// entry is one key's state, alone on its cache line so that two hot keys
// never false-share (64 bytes: its key's hash lives in the table's slot).
// key and hot never change after the entry is published.
type entry struct {
	state atomic.Uint64 // the state word (the token and leaky buckets: hot's)
	key   fixedKey
	aux   atomic.Int64          // denial cache only: when the key's state fully resets
	ext   atomic.Pointer[lease] // Redis lease cache only: the lease's metadata
	ahead atomic.Int64          // GCRA only: > 0, the state is at least this while live (gcra.go)
	hot   *hotWord              // GCRA only: where the state word is
}

// hotWord is a GCRA key's state word on a cache line of its own, apart from
// what a lookup reads (key) and what a decision only reads (ahead): on a key
// every core hammers, each decision then moves one line between cores, for
// its one atomic add, instead of two (gcra.go).
type hotWord struct {
	state atomic.Uint64
	_     [56]byte
}

// word is e's state word.
func (e *entry) word() *atomic.Uint64 {
	if e.hot != nil {
		return &e.hot.state
	}
	return &e.state
}

// tombstone marks a slot whose entry was evicted; probes walk past it.
var tombstone = new(entry)

// slot is one open-addressing slot. hash is written before e is published
// and never rewritten, so a reader that loaded a non-nil e may read hash.
type slot struct {
	hash uint64
	e    atomic.Pointer[entry]
}

// table is an immutable-size linear-probing hash table. Readers use it
// without locks; writers (insert, tombstone) hold the shard's mutex. A table
// is never more than 3/4 full (live entries plus tombstones), so a probe
// always ends on an empty slot.
type table struct {
	mask  uint64
	slots []slot
}

const minSlots = 8

func newTable(n int) *table {
	size := max(minSlots, 1<<bits.Len(uint(n-1)))
	return &table{mask: uint64(size - 1), slots: make([]slot, size)}
}

// find returns the entry for key, or nil.
func (t *table) find(key fixedKey, h uint64) *entry {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		e := s.e.Load()
		if e == nil {
			return nil
		}
		if s.hash == h && e != tombstone && e.key == key {
			return e
		}
	}
}

// put places e, whose key's hash is h, in the first empty slot of its probe
// sequence. Caller holds the shard's mutex.
func (t *table) put(e *entry, h uint64) {
	i := h & t.mask
	for t.slots[i].e.Load() != nil {
		i = (i + 1) & t.mask
	}
	t.slots[i].hash = h
	t.slots[i].e.Store(e)
}
