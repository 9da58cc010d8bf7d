package limiter

import (
	"hash/maphash"
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// DefaultMaxKeys is the default cap on the keys one Limiter's local store
// tracks (WithMaxKeys). At about 100 bytes per key whatever its length
// (64-byte entry holding the 24-byte fixed key, two to four 16-byte slots;
// 64 more for the token and leaky buckets, whose state word has a cache
// line of its own; TestLocalKeyMemoryAlloc measures 90–105 and 155–170)
// the cap is about 100 MB (170 MB) for a limiter under a flood of distinct
// keys; a limiter only uses memory for keys it has seen recently (see
// evictions in doc.go).
const DefaultMaxKeys = 1 << 20

// localStore is the sharded, lock-free-read store of one Limiter.
type localStore struct {
	p        params
	seed     maphash.Seed
	shift    uint // 64 − log2(len(shards)); the hash's top bits pick the shard
	perShard int  // cap on live entries per shard
	shards   []shard

	// overflow is the one bucket shared by every key that finds its shard
	// full of active keys (see doc.go, "At the cap").
	overflow entry

	evictions  atomic.Uint64
	overflowed atomic.Uint64
}

type shardState struct {
	tab  atomic.Pointer[table]
	mu   sync.Mutex
	live int    // entries in tab (not tombstones); under mu
	used int    // non-empty slots in tab, tombstones included; under mu
	hand uint64 // next slot the amortised sweep looks at; under mu
	// fullUntil: a full sweep found no idle entry; none can become idle
	// before this time, so until then new keys go to overflow without
	// taking the lock or rescanning (a flood of new keys at the cap costs
	// one atomic load each).
	fullUntil atomic.Int64
}

// shard is padded to whole cache lines so two shards' mutexes and table
// pointers never share one.
type shard struct {
	shardState
	_ [(64 - unsafe.Sizeof(shardState{})%64) % 64]byte
}

func newLocalStore(p params, maxKeys int) *localStore {
	n := 1 << bits.Len(uint(4*runtime.GOMAXPROCS(0)-1)) // power of two ≥ 4·procs
	n = min(max(n, 16), 256)
	for n > 1 && maxKeys/n < 256 {
		n /= 2
	}
	s := &localStore{
		p:        p,
		seed:     maphash.MakeSeed(),
		shift:    uint(64 - bits.TrailingZeros(uint(n))),
		perShard: max(maxKeys/n, 1),
		shards:   make([]shard, n),
	}
	if p.gcra() {
		s.overflow.hot = new(hotWord)
	}
	for i := range s.shards {
		s.shards[i].tab.Store(newTable(minSlots))
		s.shards[i].fullUntil.Store(math.MinInt64)
	}
	return s
}

// allow makes one decision for key, whose placement hash under s.seed is h
// (keyOf), into d. An existing key costs a hash, a
// probe and one CAS (none when rejected); only a new key takes its shard's
// lock. (Decisions are written through d: returning the 7-word struct by
// value through each level costs more than the decision.)
func (s *localStore) allow(d *Decision, key fixedKey, h uint64, now, maxWait int64) {
	sh := &s.shards[h>>s.shift]
	for {
		e := sh.tab.Load().find(key, h)
		if e == nil {
			if e = s.insert(sh, key, h, now); e == nil {
				s.overflowed.Add(1)
				e = &s.overflow
			}
		}
		var ok bool
		switch s.p.alg {
		case algFixed:
			ok = s.p.fixed(d, &e.state, now)
		case algSliding:
			ok = s.p.sliding(d, &e.state, now)
		default:
			ok = s.p.decideGCRA(d, e, now, maxWait)
		}
		if ok {
			return
		}
		// e was evicted between find and decide: look it up again.
	}
}

// insert returns key's entry, creating it, or nil when the shard is full of
// active keys.
func (s *localStore) insert(sh *shard, key fixedKey, h uint64, now int64) *entry {
	if now < sh.fullUntil.Load() {
		return nil
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.tab.Load()
	if e := t.find(key, h); e != nil {
		return e
	}
	s.sweep(sh, t, now, 2)
	if sh.live >= s.perShard {
		if next := s.sweep(sh, t, now, len(t.slots)); sh.live >= s.perShard {
			sh.fullUntil.Store(next)
			return nil
		}
	}
	if (sh.used+1)*4 > len(t.slots)*3 {
		t = s.rebuild(sh, t, now)
	}
	e := &entry{key: key}
	if s.p.gcra() {
		e.hot = new(hotWord)
	}
	t.put(e, h)
	sh.live++
	sh.used++
	return e
}

// sweep looks at n slots from the shard's hand and evicts the idle entries.
// It returns the earliest time one of the active entries it saw becomes
// idle. Caller holds sh.mu.
func (s *localStore) sweep(sh *shard, t *table, now int64, n int) int64 {
	next := int64(math.MaxInt64)
	for range n {
		sl := &t.slots[sh.hand&t.mask]
		sh.hand++
		e := sl.e.Load()
		if e == nil || e == tombstone {
			continue
		}
		if s.tryEvict(e, now) {
			sl.e.Store(tombstone)
			sh.live--
		} else {
			next = min(next, s.p.idleAt(e.word().Load(), now))
		}
	}
	return next
}

// tryEvict marks e dead if it is idle. A concurrent decision on e either
// lands first (then e is no longer idle and stays) or sees the dead mark and
// retries its lookup, so no admitted request is ever lost (for the GCRA
// algorithms the mark is the sign bit, which their blind adds keep).
func (s *localStore) tryEvict(e *entry, now int64) bool {
	st := e.word().Load()
	if !s.p.idle(st, now) || !e.word().CompareAndSwap(st, s.p.deadMark()) {
		return false
	}
	s.evictions.Add(1)
	return true
}

// rebuild copies the live, non-idle entries of t into a new table sized for
// at most half load after the coming insert, publishes it and returns it.
// Readers still on t keep working: entries are shared, not copied.
func (s *localStore) rebuild(sh *shard, t *table, now int64) *table {
	type kept struct {
		e *entry
		h uint64
	}
	keep := make([]kept, 0, sh.live)
	for i := range t.slots {
		e := t.slots[i].e.Load()
		if e == nil || e == tombstone || s.tryEvict(e, now) {
			continue
		}
		keep = append(keep, kept{e, t.slots[i].hash})
	}
	nt := newTable(2 * (len(keep) + 1))
	for _, k := range keep {
		nt.put(k.e, k.h)
	}
	sh.tab.Store(nt)
	sh.live, sh.used = len(keep), len(keep)
	return nt
}

// keys counts the tracked keys (for Stats).
func (s *localStore) keys() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.live
		sh.mu.Unlock()
	}
	return n
}

// deniedUntil returns the time until which key is known to be denied (the
// Redis store's denial cache; the store's params are algDeny) and the time
// its state was to reset then, or 0, 0.
func (s *localStore) deniedUntil(key fixedKey, h uint64) (until, reset int64) {
	if e := s.shards[h>>s.shift].tab.Load().find(key, h); e != nil {
		if st := e.state.Load(); st != dead {
			return int64(st), e.aux.Load()
		}
	}
	return 0, 0
}

// deny records that key is denied until the given time and resets at reset
// (denial cache). At the cap the denial is simply not cached.
func (s *localStore) deny(key fixedKey, h uint64, now, until, reset int64) {
	sh := &s.shards[h>>s.shift]
	for {
		e := sh.tab.Load().find(key, h)
		if e == nil {
			if e = s.insert(sh, key, h, now); e == nil {
				return
			}
		}
		old := e.state.Load()
		if old == dead {
			continue
		}
		if int64(old) >= until {
			return
		}
		e.aux.Store(reset)
		if e.state.CompareAndSwap(old, uint64(until)) {
			return
		}
	}
}

// lookup returns key's entry, inserting it, or nil when its shard is full
// of active keys (the Redis store's lease cache).
func (s *localStore) lookup(key fixedKey, h uint64, now int64) *entry {
	sh := &s.shards[h>>s.shift]
	if e := sh.tab.Load().find(key, h); e != nil {
		return e
	}
	return s.insert(sh, key, h, now)
}
