package limiter

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// Token leasing (see RedisStore and doc.go, "Redis"): a key's leased tokens
// live in one word of the backend's lease cache (a localStore of algLease),
//
//	[expiry tag 32 | refill in flight 1 | low-water mark 15 | tokens 16]
//
// where the tag is the lease's expiry in units of 2^20 ns (≈1.05 ms,
// rounded down, so a lease ends early rather than late). A decision takes a
// token with one compare-and-swap; the one that brings the tokens to the
// low-water mark also sets the in-flight bit and starts the refill. Only the
// holder of the in-flight bit calls Redis for the key or writes the lease's
// metadata (type lease), so there is at most one refill in flight per key.
const (
	leaseUnitShift = 20
	leaseInfl      = uint64(1) << 31
	leaseLowShift  = 16
	leaseLowMask   = uint64(1)<<15 - 1
	leaseNMask     = uint64(1)<<16 - 1
	// maxLeaseBatch is the most tokens one refill asks for (it keeps the
	// low-water mark, a quarter of the lease, and the tokens in their bits).
	maxLeaseBatch = 1<<15 - 1
)

// LeaseHorizon is how much of a key's local traffic one lease aims to
// cover: a refill asks for the tokens the key used per LeaseHorizon since
// the previous refill, between 1 and the lease cap (RedisOptions.LeaseMax).
const LeaseHorizon = 50 * time.Millisecond

// Leasing needs a window long enough for a lease to live in and short
// enough for the expiry tag not to wrap (2^31 units ≈ 26 days).
const (
	minLeaseWindow = 100 * time.Millisecond
	maxLeaseWindow = 24 * time.Hour
)

func leaseWord(expiry int64, infl bool, n uint64) uint64 {
	w := uint64(uint32(expiry>>leaseUnitShift))<<32 | min(n/4, leaseLowMask)<<leaseLowShift | min(n, leaseNMask)
	if infl {
		w |= leaseInfl
	}
	return w
}

// leaseValid reports whether the lease in word st is still valid at now.
func leaseValid(st uint64, now int64) bool {
	d := int32(uint32(st>>32) - uint32(now>>leaseUnitShift))
	return d > 0
}

// leaseExpiry is the time the lease in st ends, read against now (the tag
// keeps only the low 32 bits of the unit count).
func leaseExpiry(st uint64, now int64) int64 {
	u := now >> leaseUnitShift
	return (u + int64(int32(uint32(st>>32)-uint32(u)))) << leaseUnitShift
}

// lease is one key's lease metadata. global and resetAt are read by the
// fast path; the rest belongs to the holder of the in-flight bit.
type lease struct {
	global  atomic.Int64 // Redis's remaining after the last grant
	resetAt atomic.Int64 // local time Redis said the key's state resets
	wake    atomic.Pointer[chan struct{}]

	rkey  string // the Redis key
	hash  uint64 // the key's placement in the backend's caches (keyOf)
	lastT int64  // local time of the last grant
	lastN int64  // its size
	win   int64  // Redis window of the tokens held
	retN  int64  // expired unused tokens to hand back on the next call
	retW  int64  // their window
}

// leaseAllow decides from key's lease when it can; false sends the caller
// to the per-request path (the lease cache is full). k and h are key's
// fixed form and placement (keyOf, under the backend's caches' seed).
func (b *redisBackend) leaseAllow(d *Decision, key []byte, k fixedKey, h uint64, now int64) bool {
	e := b.leases.lookup(k, h, now)
	for {
		if e == nil {
			return false
		}
		old := e.state.Load()
		if old == dead { // evicted meanwhile
			runtime.Gosched()
			e = b.leases.lookup(k, h, now)
			continue
		}
		n := old & leaseNMask
		infl := old&leaseInfl != 0
		if n > 0 && leaseValid(old, now) {
			nw := old - 1
			start := !infl && n-1 <= old>>leaseLowShift&leaseLowMask && b.s.startRefill()
			if start {
				nw |= leaseInfl
			}
			if !e.state.CompareAndSwap(old, nw) {
				if start {
					b.s.refills.Done()
				}
				continue
			}
			x := e.ext.Load()
			if start {
				go b.refillAsync(e, x, now)
			}
			*d = Decision{Allowed: true, Limit: int(b.p.quota),
				Remaining: int(min(int64(n-1)+x.global.Load(), b.p.quota)),
				Reset:     time.Duration(max(x.resetAt.Load()-now, 0))}
			return true
		}
		// No token here: Redis decides, or the failure policy, or the
		// denial cache.
		if now < b.downUntil.Load() {
			*d = b.fallback()
			return true
		}
		if b.cachedDenial(d, k, h, now) {
			return true
		}
		if infl {
			b.waitRefill(e, old)
			continue
		}
		x := e.ext.Load()
		if x == nil {
			x = &lease{rkey: redisKey(b.prefix, key, k), hash: h}
			if !e.ext.CompareAndSwap(nil, x) {
				x = e.ext.Load()
			}
		}
		if !e.state.CompareAndSwap(old, old&^leaseNMask|leaseInfl) {
			continue
		}
		// We hold the key: n expired tokens (if any) go back to Redis —
		// except a token bucket's: its lease expires when Redis's refill has
		// caught up with them, and crediting them again after the bucket
		// was refilled (and perhaps drained) would let them be spent twice.
		if n > 0 && b.p.alg != algToken {
			if x.retN > 0 && x.retW != x.win {
				x.retN = 0 // one window's return pending at most
			}
			x.retN += int64(n)
			x.retW = x.win
		}
		ch := make(chan struct{})
		x.wake.Store(&ch)
		b.refill(d, e, x, now, 1)
		close(ch)
		return true
	}
}

// waitRefill waits for the refill in flight on e (seen in word old) to
// finish. The refill's own call is bounded by the store's Timeout.
func (b *redisBackend) waitRefill(e *entry, old uint64) {
	x := e.ext.Load()
	if x == nil {
		runtime.Gosched()
		return
	}
	ch := x.wake.Load()
	if ch == nil {
		runtime.Gosched()
		return
	}
	select {
	case <-*ch: // possibly a past refill's: the caller looks again
		if e.state.Load() == old {
			runtime.Gosched()
		}
	default:
		if e.state.Load() == old {
			<-*ch
		}
	}
}

// refillAsync is a refill started by the decision that reached the
// low-water mark; it is owned by the store (RedisStore.Close waits for it).
func (b *redisBackend) refillAsync(e *entry, x *lease, now int64) {
	defer b.s.refills.Done()
	ch := make(chan struct{})
	x.wake.Store(&ch)
	b.refill(nil, e, x, now, 0)
	close(ch)
}

// refill asks Redis for a lease for e, takes `take` tokens of it for the
// caller (deciding into d), publishes the rest and releases the in-flight
// bit. The caller holds that bit.
func (b *redisBackend) refill(d *Decision, e *entry, x *lease, now int64, take int64) {
	want := int64(1)
	if x.lastT != 0 {
		if el := now - x.lastT; el <= 0 {
			want = b.leaseCap
		} else {
			want = min(b.leaseCap, max(1, x.lastN*int64(LeaseHorizon)/el))
		}
	}
	want = max(want, take)
	nowArg := "-1"
	if b.injected {
		nowArg = strconv.FormatInt(now/1000, 10)
	}
	args := make([]string, 0, 4+len(b.leaseArgs))
	args = append(append(args, nowArg, strconv.FormatInt(want, 10),
		strconv.FormatInt(x.retN, 10), strconv.FormatInt(x.retW, 10)), b.leaseArgs...)
	ctx, cancel := context.WithTimeout(context.Background(), b.s.o.Timeout)
	b.s.calls.Add(1)
	v, err := b.leaseScript.Exec(ctx, b.s.client, []string{x.rkey}, args).AsIntSlice()
	cancel()
	if err == nil && len(v) != 6 {
		err = errBadReply
	}
	if err != nil {
		b.publish(e, x, 0, 0, 0)
		b.fail(now, err)
		if d != nil {
			*d = b.fallback()
		}
		return
	}
	x.retN = 0
	g, remaining := v[0], v[1]
	reset := time.Duration(v[2]) * time.Microsecond
	retry := time.Duration(v[3]) * time.Microsecond
	expiry := now + v[4]*int64(time.Microsecond)
	x.lastT, x.lastN = now, g
	x.global.Store(remaining)
	x.resetAt.Store(now + int64(reset))
	if g == 0 {
		b.publish(e, x, 0, 0, v[5])
		// Exact as in allow: until then every instance can only have made
		// the state stricter (or handed tokens back: then this is early).
		b.denials.deny(e.key, x.hash, now, now+int64(retry), now+int64(reset))
		if d != nil {
			*d = Decision{Limit: int(b.p.quota), Reset: reset, RetryAfter: retry}
		}
		return
	}
	g -= take
	b.publish(e, x, g, expiry, v[5])
	if d != nil {
		*d = Decision{Allowed: true, Limit: int(b.p.quota),
			Remaining: int(min(g+remaining, b.p.quota)), Reset: reset}
	}
}

// publish adds g tokens valid until expiry, counted in Redis window win, to
// e's lease and releases the in-flight bit. Tokens still held from an
// earlier window (a window algorithm whose window ended during the call)
// are handed back on the next call. With g = 0 (denied, or Redis failing)
// the low-water mark is cleared too, so the tokens left are spent without
// starting more refills.
func (b *redisBackend) publish(e *entry, x *lease, g, expiry, win int64) {
	retN, retW, xwin := x.retN, x.retW, x.win
	for {
		old := e.state.Load()
		if old == dead {
			return // cannot happen while the bit is held; be safe
		}
		n := old & leaseNMask
		keepOld := b.p.alg == algToken || win == xwin
		var nw uint64
		switch {
		case g == 0:
			nw = old &^ (leaseInfl | leaseLowMask<<leaseLowShift)
		case n > 0 && keepOld:
			// The same window: keep the held tokens' (earlier) expiry.
			total := min(n+uint64(g), leaseNMask)
			nw = old&^(1<<32-1) | leaseWord(0, false, total)&(1<<32-1)
			if b.p.alg == algToken {
				// Old and new tokens together stay exact until the earlier
				// of the two expiries (see tokenLeaseScript).
				nw = leaseWord(expiry, false, total)
				if oldTag := uint32(old >> 32); int32(oldTag-uint32(nw>>32)) < 0 {
					nw = nw&(1<<32-1) | uint64(oldTag)<<32
				}
			}
		default:
			nw = leaseWord(expiry, false, uint64(g))
		}
		// The metadata is written before the CAS releases the key.
		x.retN, x.retW, x.win = retN, retW, xwin
		if g > 0 {
			if n > 0 && !keepOld {
				if retN > 0 && retW != xwin {
					x.retN = 0 // one window's return pending at most
				}
				x.retN += int64(n)
				x.retW = xwin
			}
			x.win = win
		}
		if e.state.CompareAndSwap(old, nw) {
			return
		}
	}
}
