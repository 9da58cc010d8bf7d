package limiter

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Every algorithm keeps one packed 64-bit word per key and updates it with a
// compare-and-swap loop (GCRA on a busy key: one atomic add, see gcra.go);
// a rejection never writes in the common case. The all-ones word is the
// "dead" marker an evicted entry carries, so a caller that raced with the
// eviction retries its lookup instead of updating a forgotten entry; the
// GCRA algorithms use gcraDead instead (deadMark).
const dead = ^uint64(0)

// gcra reports whether the algorithm is GCRA (token or leaky bucket).
func (p *params) gcra() bool { return p.alg == algToken || p.alg == algLeaky }

// deadMark is the word tryEvict leaves in an evicted entry.
func (p *params) deadMark() uint64 {
	if p.gcra() {
		return gcraDead
	}
	return dead
}

const (
	algFixed uint8 = iota
	algSliding
	algToken
	algLeaky
	algDeny  // the Redis store's local cache of denials: the word is "denied until"
	algLease // the Redis store's leased tokens: the word is a leaseWord
)

const (
	// minWindow keeps windows meaningful at the Redis store's microsecond
	// resolution.
	minWindow = time.Millisecond
	// maxFixedQuota: the fixed window packs [window 32 | count 32].
	maxFixedQuota = 1<<32 - 2
	// maxSlidingQuota: the sliding window packs [window | prev | cur] with
	// prev and cur each bits.Len(quota+1) wide, at most 24 bits each so
	// that at least 16 bits of window index remain.
	maxSlidingQuota = 1<<24 - 2
)

// params is a Config compiled for the hot path; all times in nanoseconds.
type params struct {
	alg      uint8
	quota    int64
	window   int64 // D
	interval int64 // T = D/Q, GCRA emission interval (token and leaky)
	tau      int64 // GCRA tolerance: B·T (token), (B+1)·T (leaky)
	ahead    int64 // GCRA: headroom under which the busy-key path is off (gcra.go)
	cntBits  uint  // sliding window: width of prev and cur
}

// normalize returns cfg with the zero Algorithm replaced by the default.
func normalize(cfg Config) Config {
	if cfg.Algorithm == "" {
		cfg.Algorithm = FixedWindow
	}
	return cfg
}

func compile(cfg Config) (params, error) {
	if err := cfg.Validate(); err != nil {
		return params{}, err
	}
	d := int64(math.Round(cfg.Duration * 1e9))
	if d < int64(minWindow) || cfg.Duration > 1e9 {
		return params{}, fmt.Errorf("duration: must be between 0.001 and 1e9 seconds, got %v", cfg.Duration)
	}
	p := params{quota: int64(cfg.Quota), window: d}
	switch cfg.Algorithm {
	case FixedWindow:
		p.alg = algFixed
		if p.quota > maxFixedQuota {
			return params{}, fmt.Errorf("quota: at most %d for fixed_window, got %d", maxFixedQuota, cfg.Quota)
		}
	case SlidingWindow:
		p.alg = algSliding
		if p.quota > maxSlidingQuota {
			return params{}, fmt.Errorf("quota: at most %d for sliding_window, got %d", maxSlidingQuota, cfg.Quota)
		}
		p.cntBits = uint(bits.Len64(uint64(p.quota) + 1))
	case TokenBucket, LeakyBucket:
		p.alg = algToken
		p.interval = max(d/p.quota, 1)
		b := int64(cfg.Capacity())
		if cfg.Algorithm == LeakyBucket {
			p.alg = algLeaky
			b++ // the request being served plus bucket_size waiting
		}
		if b > math.MaxInt64/4/p.interval {
			return params{}, errors.New("bucket_size: too large for this quota and duration")
		}
		p.tau = b * p.interval
		p.ahead = max(aheadSlots*p.interval, aheadStale)
	}
	return p, nil
}

// idle reports whether state st is, at time now, indistinguishable from a
// fresh key, so the entry can be dropped without changing any decision.
func (p *params) idle(st uint64, now int64) bool {
	switch p.alg {
	case algFixed:
		return st>>32 != uint64(uint32(now/p.window))
	case algSliding:
		idx := uint64(now / p.window)
		shift := 2 * p.cntBits
		m := uint64(1)<<(64-shift) - 1
		w := st >> shift
		return w != idx&m && w != (idx-1)&m
	case algLease:
		return st&leaseInfl == 0 && (st&leaseNMask == 0 || !leaseValid(st, now))
	default:
		return int64(st) <= now
	}
}

// idleAt is the earliest time at which state st becomes idle.
func (p *params) idleAt(st uint64, now int64) int64 {
	switch p.alg {
	case algFixed:
		return (now/p.window + 1) * p.window
	case algSliding:
		return (now/p.window + 2) * p.window
	case algLease:
		if st&leaseInfl != 0 {
			return now + 1 // a refill is in flight: look again later
		}
		return max(leaseExpiry(st, now), now+1)
	default:
		return int64(st)
	}
}

// fixed: at most quota per window [k·D, (k+1)·D). Word: [window 32 | count 32].
func (p *params) fixed(d *Decision, st *atomic.Uint64, now int64) bool {
	idx := now / p.window
	reset := time.Duration((idx+1)*p.window - now)
	w := uint64(uint32(idx)) << 32
	for {
		old := st.Load()
		if old == dead {
			return false
		}
		var n int64
		if old&^0xffffffff == w {
			n = int64(old & 0xffffffff)
		}
		if n >= p.quota {
			*d = Decision{Limit: int(p.quota), Reset: reset, RetryAfter: reset}
			return true
		}
		if st.CompareAndSwap(old, w|uint64(n+1)) {
			*d = Decision{Allowed: true, Limit: int(p.quota), Remaining: int(p.quota - n - 1), Reset: reset}
			return true
		}
	}
}

// sliding: the weighted two-window counter. With prev the previous window's
// count, cur the current one's and el the time into the current window,
// est = prev·(D−el)/D + cur, and a request is admitted iff est+1 ≤ quota.
// Word: [window | prev | cur], prev and cur cntBits wide each.
func (p *params) sliding(d *Decision, st *atomic.Uint64, now int64) bool {
	idx := now / p.window
	el := now - idx*p.window
	shift := 2 * p.cntBits
	wm := uint64(1)<<(64-shift) - 1
	cm := uint64(1)<<p.cntBits - 1
	w := uint64(idx) & wm
	D := float64(p.window)
	weight := float64(p.window-el) / D
	q := float64(p.quota)
	for {
		old := st.Load()
		if old == dead {
			return false
		}
		var prev, cur uint64
		switch old >> shift {
		case w:
			prev, cur = old>>p.cntBits&cm, old&cm
		case (w - 1) & wm:
			prev = old & cm
		}
		fp, fc := float64(prev), float64(cur)
		if fp*weight+fc+1 > q {
			var retry float64
			if fc+1 <= q { // only the previous window's weight blocks
				retry = math.Ceil(D-(q-1-fc)*D/fp) - float64(el)
			} else { // wait into the next window, where cur becomes prev
				retry = float64(p.window-el) + math.Ceil(D-(q-1)*D/fc)
			}
			var reset int64
			if cur > 0 {
				reset = 2*p.window - el
			} else if prev > 0 {
				reset = p.window - el
			}
			*d = Decision{Limit: int(p.quota), Reset: time.Duration(reset),
				RetryAfter: time.Duration(max(retry, 1))}
			return true
		}
		if st.CompareAndSwap(old, w<<shift|prev<<p.cntBits|(cur+1)) {
			rem := math.Floor(q - (fp*weight + fc + 1))
			*d = Decision{Allowed: true, Limit: int(p.quota), Remaining: int(max(rem, 0)),
				Reset: time.Duration(2*p.window - el)}
			return true
		}
	}
}
