package limiter

import (
	"context"
	"time"
)

// Limiter applies one Config to any number of keys. It is safe for
// concurrent use; Allow on a key it already tracks never locks and never
// allocates (local store).
type Limiter struct {
	cfg    Config
	name   string
	p      params
	clock  Clock
	sys    bool // clock is SystemClock: read it without an interface call
	local  *localStore
	remote backend
	policy []byte // the RateLimit-Policy value
}

// New returns a Limiter for cfg. cfg.Algorithm may be empty (fixed_window).
// The error lists every problem in cfg, each prefixed by its YAML key.
func New(cfg Config, opts ...Option) (*Limiter, error) {
	cfg = normalize(cfg)
	p, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	l := &Limiter{cfg: cfg, name: o.name, p: p, clock: o.clock}
	if l.clock == nil {
		l.clock = SystemClock{}
	}
	_, l.sys = l.clock.(SystemClock)
	if o.maxKeys <= 0 {
		o.maxKeys = DefaultMaxKeys
	}
	if o.store != nil {
		_, wall := l.clock.(wallClock)
		l.remote = o.store.bind(o.name, p, l.clock, !wall, o.maxKeys)
	} else {
		l.local = newLocalStore(p, o.maxKeys)
	}
	l.policy = AppendPolicy(nil, o.name, cfg)
	return l, nil
}

// Config returns the limiter's configuration (Algorithm filled in).
func (l *Limiter) Config() Config { return l.cfg }

// Name returns the name given with WithName.
func (l *Limiter) Name() string { return l.name }

func (l *Limiter) now() int64 {
	if l.sys {
		return sysNow()
	}
	return l.clock.Now()
}

// Allow makes one decision for key and, when it admits, counts the request.
// For leaky_bucket an admitted request must wait Decision.Delay before it
// proceeds. The key is never retained: a limiter stores 24 bytes per key
// whatever its length (a digest of a key longer than 23 bytes), so keys of
// any length cost the same memory.
func (l *Limiter) Allow(key []byte) (d Decision) {
	if l.local != nil {
		k, h := keyOf(l.local.seed, key)
		l.local.allow(&d, k, h, l.now(), -1)
		return d
	}
	return l.remote.allow(key, l.now(), -1)
}

// AllowWithin is Allow for a caller that cannot wait longer than maxWait
// (a route's timeout, a client's deadline): a leaky bucket rejects, instead
// of queueing, a request whose turn would come later than maxWait. For the
// other algorithms it is Allow. maxWait < 0 means no cap.
func (l *Limiter) AllowWithin(key []byte, maxWait time.Duration) (d Decision) {
	if l.local != nil {
		k, h := keyOf(l.local.seed, key)
		l.local.allow(&d, k, h, l.now(), int64(maxWait))
		return d
	}
	return l.remote.allow(key, l.now(), int64(maxWait))
}

// Wait admits one request for key, waiting its turn when the limiter is a
// leaky bucket; it is the library ("decorator") form of Allow:
//
//	if err := lim.Wait(ctx, key); err != nil { return err }
//	return call()
//
// It returns nil when the request may proceed, or a *LimitError matching
// ErrLimited when it is rejected or ctx ends before its turn (then it also
// matches ctx.Err()). A leaky bucket never queues a request beyond ctx's
// deadline; a request that was queued and then cancelled keeps its slot.
func (l *Limiter) Wait(ctx context.Context, key []byte) error {
	if err := ctx.Err(); err != nil {
		return &LimitError{Cause: err}
	}
	maxWait := time.Duration(-1)
	if dl, ok := ctx.Deadline(); ok {
		maxWait = max(time.Until(dl), 0)
	}
	d := l.AllowWithin(key, maxWait)
	if !d.Allowed {
		return &LimitError{Decision: d}
	}
	if d.Delay > 0 {
		if err := l.clock.Sleep(ctx, d.Delay); err != nil {
			return &LimitError{Decision: d, Cause: err}
		}
	}
	return nil
}

// AppendPolicy appends the limiter's RateLimit-Policy header value to dst
// (precomputed: a copy, no allocation when dst has room).
func (l *Limiter) AppendPolicy(dst []byte) []byte { return append(dst, l.policy...) }

// AppendRateLimit appends the RateLimit header value of d, under this
// limiter's policy name, to dst.
func (l *Limiter) AppendRateLimit(dst []byte, d Decision) []byte {
	return d.AppendRateLimit(dst, l.name)
}

// Stats are a limiter's counters since New.
type Stats struct {
	// Keys is the number of keys the local store tracks now.
	Keys int
	// Evictions counts idle keys dropped to save memory.
	Evictions uint64
	// Overflowed counts decisions made on the shared overflow bucket because
	// the key's shard was full of active keys.
	Overflowed uint64
}

// Stats returns the local store's counters (zero for a Redis-backed
// limiter: see RedisStore.Stats).
func (l *Limiter) Stats() Stats {
	if l.local == nil {
		return Stats{}
	}
	return Stats{Keys: l.local.keys(), Evictions: l.local.evictions.Load(), Overflowed: l.local.overflowed.Load()}
}
