package limiter

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// RedisOptions configures a RedisStore. Call Defaults on a zero value before
// filling it from configuration: FailOpen's default (true) cannot be told
// apart from an explicit false otherwise.
type RedisOptions struct {
	// Keyspace prefixes every key. Default: "premier:rl".
	Keyspace string
	// Timeout bounds each decision's round trip; past it the decision falls
	// back per FailOpen. Default: 50ms (also used when ≤ 0).
	Timeout time.Duration
	// FailOpen admits requests while Redis is failing; false rejects them.
	// Default (after Defaults): true.
	FailOpen bool
	// Logger receives the "Redis failing" warning, at most once a minute.
	// Default: slog.Default().
	Logger *slog.Logger
	// LeaseMax caps how many tokens one Redis call may lease for a key
	// (token leasing, see RedisStore). The cap actually used is also at most
	// the limit's quota (token bucket: min(quota, bucket_size)) divided by
	// 4·LeaseInstances, and at most 32767; where that leaves 1 or less the
	// limit is decided with one Redis call per request. Default: 0, meaning
	// DefaultLeaseMax (leasing on); 1 or a negative value turns leasing off.
	LeaseMax int
	// LeaseInstances is the number of gateway instances expected to share
	// the Redis, used to size leases so that tokens leased and not yet used
	// by all of them stay under a quarter of the quota. Default: 0, meaning
	// 4 (a lease is then at most quota/16).
	LeaseInstances int
}

// DefaultLeaseMax is the default RedisOptions.LeaseMax.
const DefaultLeaseMax = 4096

// Defaults fills the defaults into o.
func (o *RedisOptions) Defaults() {
	o.Keyspace = "premier:rl"
	o.Timeout = 50 * time.Millisecond
	o.FailOpen = true
}

// RedisBackoff is how long a limiter stops asking Redis after a failed
// call: its decisions fall back at once meanwhile, then the next decision
// tries Redis again (recovery is automatic).
const RedisBackoff = time.Second

// RedisStore keeps limiter state in Redis so every gateway instance using
// the same Redis shares the limits. Each Redis decision is one Lua script
// call (auto-pipelined by rueidis) on one key: keyspace:name:algorithm:key,
// where a key longer than 23 bytes is written as the 48 hex digits of its
// digest (see fixedKey), so instances share it and Redis's memory per key
// is bounded too.
// With token leasing (LeaseMax, on by default for fixed_window,
// sliding_window and token_bucket with a large enough quota) one call
// leases a batch of tokens that the instance spends locally; doc.go
// ("Redis") describes the semantics and the under-admission it costs.
//
// Local pre-check: a key Redis denied is remembered in process until its
// RetryAfter, and its requests are denied without a round trip meanwhile
// (RedisStats.CachedDenials). This is exact — state only gets stricter
// until then, whichever instance admits — so "exactly quota in total across
// instances" still holds; it saves Redis from floods of denied traffic, not
// from admitted traffic (each admitted request is one round trip). A cached
// denial reports the Reset Redis gave, counted down, which can be early if
// another instance admitted since. Denials of a leaky bucket capped by
// AllowWithin's maxWait are not cached. (An instance handing back unused
// leased tokens makes the state looser: a cached denial may then end a
// little late — under-admission, never over.)
//
// Time: with SystemClock or CoarseClock (the real clocks) the scripts read
// Redis's TIME, so instances need no clock agreement. A limiter built with
// any other clock (a ManualClock in tests) sends that clock's reading, in
// microseconds, instead; all instances must then share that clock.
//
// The store does not own the client: close it after the limiters are done
// and after Close (which waits for the lease refills in flight).
type RedisStore struct {
	client rueidis.Client
	o      RedisOptions

	calls         atomic.Uint64
	errors        atomic.Uint64
	fellOpen      atomic.Uint64
	fellClosed    atomic.Uint64
	cachedDenials atomic.Uint64
	lastLog       atomic.Int64 // unix ns of the last failure log line

	mu      sync.RWMutex // closed and refills.Add
	closed  bool
	refills sync.WaitGroup // asynchronous lease refills in flight
}

// NewRedisStore returns a store using client.
func NewRedisStore(client rueidis.Client, o RedisOptions) *RedisStore {
	if o.Keyspace == "" {
		o.Keyspace = "premier:rl"
	}
	if o.Timeout <= 0 {
		o.Timeout = 50 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LeaseMax == 0 {
		o.LeaseMax = DefaultLeaseMax
	}
	if o.LeaseInstances <= 0 {
		o.LeaseInstances = 4
	}
	return &RedisStore{client: client, o: o}
}

// Close stops the store's asynchronous lease refills: it waits for those in
// flight (each bounded by Timeout) and starts no more. The store stays
// usable; leases still held are spent, and refilled synchronously when they
// run out. Unused leased tokens are not handed back: they lapse with their
// lease (see RedisStore). Close is idempotent; Registry.Close calls it.
func (s *RedisStore) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.refills.Wait()
}

// startRefill reserves an asynchronous refill, false once the store is
// closed. The caller calls refills.Done when the refill ends (or is not
// started after all).
func (s *RedisStore) startRefill() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	s.refills.Add(1)
	return true
}

// RedisStats are a RedisStore's counters since NewRedisStore.
type RedisStats struct {
	// Calls counts script calls sent to Redis.
	Calls uint64
	// Errors counts calls that failed or timed out.
	Errors uint64
	// FallbackAllowed and FallbackRejected count decisions made by the
	// failure policy instead of Redis (during an error or the backoff).
	FallbackAllowed, FallbackRejected uint64
	// CachedDenials counts rejections answered from the local denial cache
	// without a round trip.
	CachedDenials uint64
}

// Stats returns the store's counters.
func (s *RedisStore) Stats() RedisStats {
	return RedisStats{Calls: s.calls.Load(), Errors: s.errors.Load(),
		FallbackAllowed: s.fellOpen.Load(), FallbackRejected: s.fellClosed.Load(),
		CachedDenials: s.cachedDenials.Load()}
}

var algNames = [...]string{algFixed: "fw", algSliding: "sw", algToken: "tb", algLeaky: "lb"}

func (s *RedisStore) bind(name string, p params, clock Clock, injected bool, maxKeys int) backend {
	b := &redisBackend{s: s, p: p, clock: clock, injected: injected,
		prefix:  s.o.Keyspace + ":" + name + ":" + algNames[p.alg] + ":",
		denials: newLocalStore(params{alg: algDeny}, maxKeys)}
	us := func(ns int64) string { return strconv.FormatFloat(float64(ns)/1000, 'g', -1, 64) }
	switch p.alg {
	case algFixed:
		b.script, b.args = fixedScript, []string{us(p.window), strconv.FormatInt(p.quota, 10)}
	case algSliding:
		b.script, b.args = slidingScript, []string{us(p.window), strconv.FormatInt(p.quota, 10)}
	default:
		leaky := "0"
		if p.alg == algLeaky {
			leaky = "1"
		}
		b.script, b.args = gcraScript, []string{us(p.interval), us(p.tau), leaky}
	}
	b.leaseCap = s.leaseCap(p)
	if b.leaseCap > 1 {
		b.leases = newLocalStore(params{alg: algLease, window: p.window}, maxKeys)
		// One seed for both caches: a key is placed once per decision
		// (keyOf), and a refill records a denial from the lease's entry.
		b.leases.seed = b.denials.seed
		switch p.alg {
		case algFixed:
			b.leaseScript, b.leaseArgs = fixedLeaseScript, b.args
		case algSliding:
			b.leaseScript, b.leaseArgs = slidingLeaseScript, b.args
		default:
			b.leaseScript, b.leaseArgs = tokenLeaseScript, []string{us(p.interval), us(p.tau), us(p.window)}
		}
	}
	return b
}

// leaseCap is the most tokens one lease takes for a limit, ≤ 1 meaning no
// leasing: leaky buckets (each request's delay is its own), windows too
// short for a lease to live or too long for its expiry tag.
func (s *RedisStore) leaseCap(p params) int64 {
	if s.o.LeaseMax <= 1 || p.alg == algLeaky || p.window < int64(minLeaseWindow) || p.window > int64(maxLeaseWindow) {
		return 0
	}
	q := p.quota
	if p.alg == algToken {
		q = min(q, p.tau/p.interval)
	}
	return min(int64(s.o.LeaseMax), q/int64(4*s.o.LeaseInstances), maxLeaseBatch)
}

// redisBackend is a RedisStore bound to one limiter.
type redisBackend struct {
	s         *RedisStore
	p         params
	clock     Clock
	injected  bool
	prefix    string
	script    *rueidis.Lua
	args      []string     // the script's ARGV[3:]
	downUntil atomic.Int64 // clock time until which Redis is not asked
	denials   *localStore  // keys Redis denied, until their RetryAfter

	// Token leasing (redis_lease.go); leases is nil when it is off.
	leases      *localStore
	leaseCap    int64
	leaseScript *rueidis.Lua
	leaseArgs   []string // the lease script's ARGV[5:]
}

func (b *redisBackend) allow(key []byte, now, maxWait int64) Decision {
	k, h := keyOf(b.denials.seed, key)
	if b.leases != nil {
		var d Decision
		if b.leaseAllow(&d, key, k, h, now) {
			return d
		}
	}
	if now < b.downUntil.Load() {
		return b.fallback()
	}
	var d Decision
	if b.cachedDenial(&d, k, h, now) {
		return d
	}
	nowArg, waitArg := "-1", "-1"
	if b.injected {
		nowArg = strconv.FormatInt(now/1000, 10)
	}
	if maxWait >= 0 {
		waitArg = strconv.FormatInt(maxWait/1000, 10)
	}
	args := make([]string, 0, 2+len(b.args))
	args = append(append(args, nowArg, waitArg), b.args...)
	ctx, cancel := context.WithTimeout(context.Background(), b.s.o.Timeout)
	b.s.calls.Add(1)
	v, err := b.script.Exec(ctx, b.s.client, []string{redisKey(b.prefix, key, k)}, args).AsIntSlice()
	cancel()
	if err == nil && len(v) != 5 {
		err = errBadReply
	}
	if err != nil {
		b.fail(now, err)
		return b.fallback()
	}
	d = Decision{Allowed: v[0] == 1, Limit: int(b.p.quota), Remaining: int(v[1]),
		Reset: time.Duration(v[2]) * time.Microsecond, RetryAfter: time.Duration(v[3]) * time.Microsecond,
		Delay: time.Duration(v[4]) * time.Microsecond}
	if !d.Allowed && maxWait < 0 {
		// Exact: until RetryAfter (counted from before the call, so on the
		// safe side of the script's own clock) every instance can only have
		// made the key's state stricter, so Redis would deny too.
		b.denials.deny(k, h, now, now+int64(d.RetryAfter), now+int64(d.Reset))
	}
	return d
}

// cachedDenial decides into d from the denial cache when key (placed at h)
// is in it.
func (b *redisBackend) cachedDenial(d *Decision, key fixedKey, h uint64, now int64) bool {
	until, reset := b.denials.deniedUntil(key, h)
	if now >= until {
		return false
	}
	b.s.cachedDenials.Add(1)
	*d = Decision{Limit: int(b.p.quota), Reset: time.Duration(max(reset, until) - now),
		RetryAfter: time.Duration(until - now)}
	return true
}

var errBadReply = errors.New("limiter: unexpected Redis script reply")

func (b *redisBackend) fail(now int64, err error) {
	b.s.errors.Add(1)
	b.downUntil.Store(now + int64(RedisBackoff))
	t := time.Now().UnixNano()
	last := b.s.lastLog.Load()
	if t-last >= int64(time.Minute) && b.s.lastLog.CompareAndSwap(last, t) {
		b.s.o.Logger.Warn("limiter: Redis failing, deciding by fail_open until it recovers",
			"error", err, "fail_open", b.s.o.FailOpen, "errors", b.s.errors.Load())
	}
}

func (b *redisBackend) fallback() Decision {
	if b.s.o.FailOpen {
		b.s.fellOpen.Add(1)
		return Decision{Allowed: true, Limit: int(b.p.quota), Fallback: true}
	}
	b.s.fellClosed.Add(1)
	return Decision{Limit: int(b.p.quota), RetryAfter: RedisBackoff, Fallback: true}
}
