package cache

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// ErrMemoPanic is what callers waiting on a memoized call get when the call
// they waited for panicked (the panic itself goes to the caller that ran it).
var ErrMemoPanic = errors.New("cache: memoized function panicked")

// Memoize returns fn with its results cached in c's memory tier under the
// namespace name (a rule id: PurgeRule(name) forgets them, PurgeAll too).
//
// A result is fresh for ttl (0: until evicted). Errors are
// not cached. Concurrent calls with one key run fn once: the others wait for
// it (or for their own ctx) and share its result or error, except that a
// context error of the running caller's ctx sends them to run fn themselves.
// Like responses, results may be dropped by the memory tier at any time, so
// fn may run again for a key it has already computed; the V returned is
// shared between callers and must not be modified. Results are not written
// to Redis.
func Memoize[K comparable, V any](c *Cache, name string, ttl time.Duration, fn func(context.Context, K) (V, error)) func(context.Context, K) (V, error) {
	return newMemo(c, name, ttl, fn).get
}

func newMemo[K comparable, V any](c *Cache, name string, ttl time.Duration, fn func(context.Context, K) (V, error)) *memo[K, V] {
	return &memo[K, V]{
		c: c, rs: c.rule(name), salt: maphash.String(c.seed, name),
		ttl: int64(ttl), fn: fn, calls: make(map[K]*memoCall[V]),
	}
}

type memo[K comparable, V any] struct {
	c    *Cache
	rs   *ruleState
	salt uint64
	ttl  int64
	fn   func(context.Context, K) (V, error)

	mu      sync.Mutex
	calls   map[K]*memoCall[V]
	waiting atomic.Int64 // callers waiting for a running call (tests)
}

type memoCall[V any] struct {
	done chan struct{}
	val  V
	err  error
	ctx  context.Context // the running caller's
}

func (m *memo[K, V]) hash(k K) uint64 {
	return maphash.Comparable(m.c.seed, k) ^ m.salt
}

func (m *memo[K, V]) get(ctx context.Context, k K) (V, error) {
	for {
		gen, epoch := m.rs.gen.Load(), m.c.epoch.Load()
		h := m.hash(k)
		if e, ok := m.c.l1.Get(h); ok && e.kind == kindMemo && e.rs == m.rs &&
			e.gen == gen && e.epoch == epoch && (e.ttl == 0 || e.fresh(m.c.nowNs())) {
			if ek, ok := e.mkey.(K); ok && ek == k {
				if v, ok := e.mval.(V); ok {
					return v, nil
				}
			}
		}
		m.mu.Lock()
		if call, ok := m.calls[k]; ok {
			m.mu.Unlock()
			m.waiting.Add(1)
			select {
			case <-call.done:
			case <-ctx.Done():
				m.waiting.Add(-1)
				var zero V
				return zero, ctx.Err()
			}
			m.waiting.Add(-1)
			if call.err != nil && call.ctx.Err() != nil && errors.Is(call.err, call.ctx.Err()) {
				continue // the leader gave up, not fn: try again
			}
			return call.val, call.err
		}
		call := &memoCall[V]{done: make(chan struct{}), ctx: ctx, err: ErrMemoPanic}
		m.calls[k] = call
		m.mu.Unlock()
		return m.run(ctx, k, h, gen, epoch, call)
	}
}

// run calls fn as the leader for k and publishes the result to waiters.
func (m *memo[K, V]) run(ctx context.Context, k K, h, gen, epoch uint64, call *memoCall[V]) (V, error) {
	defer func() {
		m.mu.Lock()
		delete(m.calls, k)
		m.mu.Unlock()
		close(call.done)
	}()
	v, err := m.fn(ctx, k)
	call.val, call.err = v, err
	if err == nil {
		e := &entry{
			kind: kindMemo, rs: m.rs, gen: gen, epoch: epoch,
			storedAt: m.c.nowNs(), ttl: m.ttl, mkey: k, mval: v,
			cost: entryOverhead + sizeOf(v),
		}
		m.c.setL1(h, e)
	}
	return v, err
}

// sizeOf estimates a value's memory for the cache's byte budget.
func sizeOf(v any) int64 {
	switch x := v.(type) {
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	}
	return 64
}
