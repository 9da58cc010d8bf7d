package cache

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// DefaultLockTimeout is how long concurrent misses for one key wait for the
// request already fetching it before they fetch themselves.
const DefaultLockTimeout = 5 * time.Second

// ErrInvalidRule is returned for a rule id or keyspace containing a NUL byte.
var ErrInvalidRule = errors.New("cache: rule id or keyspace contains a NUL byte")

// Cache is a response cache: an in-memory tier (ristretto, bounded by
// Config.MaxBytes) and an optional shared Redis tier, with HTTP caching
// semantics and request collapsing. It is safe for concurrent use; call
// Close when done.
type Cache struct {
	cfg         Config
	targeting   targeting
	l1          *ristretto.Cache[uint64, *entry]
	now         func() time.Time
	seed        maphash.Seed
	lockTimeout time.Duration

	epoch   atomic.Uint64 // PurgeAll generation
	rulesMu sync.Mutex
	rules   atomic.Pointer[map[string]*ruleState] // copy on write

	mu      sync.Mutex
	flights map[uint64]*flight

	l2 *redisTier // nil: memory only

	stats    counters
	dropSets atomic.Bool // tests: behave as if ristretto dropped every Set
	// derivedBytes are the bytes of derived bodies kept (derived.go).
	derivedBytes atomic.Int64
	derive       atomic.Bool // EnableDerived was called
	closeOnce    sync.Once
}

// ruleState is one rule's namespace. Its generation is part of every entry
// stored for the rule; PurgeRule bumps it, which makes every older entry a
// miss in O(1).
type ruleState struct {
	id  string
	gen atomic.Uint64
}

// Option configures New.
type Option func(*options)

type options struct {
	now         func() time.Time
	lockTimeout time.Duration
	redis       *redisConfig
}

// WithClock makes the cache read time from now (tests inject a fake clock).
// Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLockTimeout bounds how long a request waits for a concurrent request
// fetching the same key before it fetches itself; it is also how long a
// leader that never calls Done or Abort blocks its key. The wait does not
// watch the server's shutdown. Default DefaultLockTimeout (5s, as nginx's
// proxy_cache_lock_timeout).
func WithLockTimeout(d time.Duration) Option { return func(o *options) { o.lockTimeout = d } }

// New builds a cache from a validated Config.
func New(cfg Config, opts ...Option) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	o := options{now: time.Now, lockTimeout: DefaultLockTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.lockTimeout <= 0 {
		o.lockTimeout = DefaultLockTimeout
	}
	// About one counter per 200 bytes: ten per expected entry of ~2 KiB.
	counters := min(max(cfg.MaxBytes/200, 1<<12), 1<<24)
	var c *Cache
	l1, err := ristretto.NewCache(&ristretto.Config[uint64, *entry]{
		NumCounters:        counters,
		MaxCost:            cfg.MaxBytes,
		BufferItems:        64,
		Metrics:            true,
		IgnoreInternalCost: true, // entry.cost already counts our overhead
		OnExit:             func(e *entry) { c.leftL1(e) },
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c = &Cache{
		cfg:         cfg,
		targeting:   newTargeting(&cfg),
		l1:          l1,
		now:         o.now,
		seed:        maphash.MakeSeed(),
		lockTimeout: o.lockTimeout,
		flights:     make(map[uint64]*flight),
	}
	empty := map[string]*ruleState{}
	c.rules.Store(&empty)
	if o.redis != nil {
		t, err := newRedisTier(c, o.redis)
		if err != nil {
			l1.Close()
			return nil, err
		}
		c.l2 = t
	}
	return c, nil
}

// Wait blocks until every store made so far is visible in the memory tier
// (which applies writes asynchronously). Serving never needs it; tests and
// tools that store and then read at once do.
func (c *Cache) Wait() { c.l1.Wait() }

// Close stops the cache's goroutines (ristretto's, the Redis writer and
// purge subscriber) after flushing queued Redis writes. It does not close a
// Redis client passed to WithRedis. Close is idempotent; the cache must not
// be used afterwards.
func (c *Cache) Close() {
	c.closeOnce.Do(func() {
		if c.l2 != nil {
			c.l2.close()
		}
		c.l1.Close()
	})
}

// nowNs is the cache clock in unix nanoseconds.
func (c *Cache) nowNs() int64 { return c.now().UnixNano() }

// rule returns the state of rule id, creating it on first use. The common
// case is one lock-free map read.
func (c *Cache) rule(id string) *ruleState {
	if rs, ok := (*c.rules.Load())[id]; ok {
		return rs
	}
	c.rulesMu.Lock()
	defer c.rulesMu.Unlock()
	old := *c.rules.Load()
	if rs, ok := old[id]; ok {
		return rs
	}
	m := make(map[string]*ruleState, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	rs := &ruleState{id: id}
	m[id] = rs
	c.rules.Store(&m)
	return rs
}

// hashKey is the L1 key of (rule, key): a seeded 64-bit hash. Collisions
// cost a miss, never a wrong response, because every hit compares the
// entry's rule and key.
func (c *Cache) hashKey(rule string, key []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(rule)
	h.WriteByte(0)
	h.Write(key)
	return h.Sum64()
}

// setL1 offers e to the memory tier under h. ristretto may drop or reject
// it; nothing depends on it landing. No ristretto TTL is set: freshness is
// checked on the cache clock, a stale entry is replaced by the next fill,
// and an expiring ristretto item would cost a second clock read per Get.
func (c *Cache) setL1(h uint64, e *entry) {
	if c.dropSets.Load() {
		return
	}
	e.enterL1()
	c.l1.Set(h, e, e.cost)
}

// getL1 returns the entry under h if it belongs to (rs, key) and has not
// been purged since.
func (c *Cache) getL1(h uint64, rs *ruleState, key []byte, gen, epoch uint64) *entry {
	e, ok := c.l1.Get(h)
	if !ok || e.rs != rs || e.kind == kindMemo || string(e.key) != string(key) {
		return nil
	}
	if e.gen != gen || e.epoch != epoch {
		c.l1.Del(h) // purged: free it now rather than at eviction
		return nil
	}
	return e
}

// Stats is a snapshot of the cache's counters, for the dashboard.
type Stats struct {
	Hits      uint64 // requests answered from the cache (either tier)
	Misses    uint64 // cacheable requests forwarded to the backend
	Bypasses  uint64 // requests the cache does not handle (method)
	Collapsed uint64 // misses answered by a concurrent request's fill
	// Revalidations counts what became of stale entries, by Reval.String()
	// (without "none").
	Revalidations map[string]uint64
	Waiting       int64  // requests now waiting for a concurrent fill
	Stores        uint64 // responses stored
	// NotStored counts responses not stored, by Reason.String().
	NotStored map[string]uint64

	RedisHits    uint64 // L1 misses answered by Redis
	RedisErrors  uint64 // Redis errors and timeouts (each degraded to a miss)
	RedisDropped uint64 // Redis writes dropped because the queue was full

	Bytes   int64 // memory tier cost in use (entry bytes)
	Entries int64 // entries in the memory tier (including purged, not yet evicted)
}

type counters struct {
	hits, misses, bypasses, collapsed, stores atomic.Uint64
	redisHits, redisErrors, redisDropped      atomic.Uint64
	notStored                                 [numReasons]atomic.Uint64
	reval                                     [numReval]atomic.Uint64
	waiting                                   atomic.Int64
}

// Stats returns the current counters.
func (c *Cache) Stats() Stats {
	s := Stats{
		Hits:         c.stats.hits.Load(),
		Misses:       c.stats.misses.Load(),
		Bypasses:     c.stats.bypasses.Load(),
		Collapsed:    c.stats.collapsed.Load(),
		Waiting:      c.stats.waiting.Load(),
		Stores:       c.stats.stores.Load(),
		RedisHits:    c.stats.redisHits.Load(),
		RedisErrors:  c.stats.redisErrors.Load(),
		RedisDropped: c.stats.redisDropped.Load(),
		NotStored:    make(map[string]uint64, numReasons),
		Bytes:        c.l1.MaxCost() - c.l1.RemainingCost(),
	}
	for r := Reason(1); r < numReasons; r++ {
		s.NotStored[r.String()] = c.stats.notStored[r].Load()
	}
	s.Revalidations = make(map[string]uint64, numReval)
	for r := RevalNone + 1; r < numReval; r++ {
		s.Revalidations[r.String()] = c.stats.reval[r].Load()
	}
	if m := c.l1.Metrics; m != nil {
		s.Entries = int64(m.KeysAdded() - m.KeysEvicted())
	}
	return s
}
