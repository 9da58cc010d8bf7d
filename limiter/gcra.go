package limiter

import (
	"runtime"
	"time"
)

// gcraDead is the dead marker of a GCRA word (token and leaky buckets): the
// sign bit, which a theoretical arrival time (nanoseconds since 1970) never
// has. Unlike dead it survives the blind adds of the busy-key path below: a
// request whose add lands on an entry evicted meanwhile reads a negative
// word, and so does every later reader, so all of them retry their lookup.
const gcraDead = uint64(1) << 63

// The busy-key path is switched off on a key with less than
// max(aheadSlots·T, aheadStale) of tolerance left (params.ahead), so that
// its rejections take the compare-and-swap path, where they only read; it
// is switched on only with twice that headroom. A rejection on the add path
// (which writes, then undoes) then takes more than aheadSlots adds in
// flight at once or a request whose clock reading is more than aheadStale
// older than an admitted one's (aheadStale is above the gateway's coarse
// clock tick of 1 ms); see addNearFull.
const (
	aheadSlots = 16
	aheadStale = int64(2 * time.Millisecond)
)

// decideGCRA: the token bucket and the leaky bucket (as a queue) as one
// theoretical-arrival-time word. tat' = max(tat, now) + T; admitted iff
// tat' − now ≤ τ. For the leaky bucket the request's turn is max(tat, now),
// so it waits max(tat, now) − now; maxWait (≥ 0) lowers τ to T + maxWait.
//
// Busy keys. On a key whose tat is ahead of now, tat' = tat + T is a plain
// addition, so it is one atomic add (no load first, no retry): a hot key
// shared by every core then costs one cache-line transfer per decision
// instead of a load, a compare-and-swap and its retries. The entry's ahead
// field says when that holds: it is only ever set to a value the word took
// on an admission, and the word never goes below such a value while the
// entry is live (admissions only raise it; the add path's undo only lowers
// it back over its own add when nothing was added since), so now < ahead
// implies tat ≥ ahead > now. Eviction needs tat ≤ now, so while now < ahead
// it can only have happened before a request whose clock reading is stale;
// that request's add then lands on gcraDead and it retries its lookup.
func (p *params) decideGCRA(d *Decision, e *entry, now, maxWait int64) bool {
	tau := p.tau
	leaky := p.alg == algLeaky
	if leaky && maxWait >= 0 && p.interval+maxWait < tau {
		tau = p.interval + maxWait
	}
	a := e.ahead.Load()
	if now < a && tau == p.tau {
		// Busy key: one add, which reserves the slot [tat, tat+T).
		next := int64(e.hot.state.Add(uint64(p.interval)))
		diff := next - now
		if p.tau-diff < p.ahead || next < p.interval {
			return p.addNearFull(d, e, now, a, next)
		}
		*d = Decision{Allowed: true, Limit: int(p.quota),
			Remaining: int((p.tau - diff) / p.interval), Reset: time.Duration(diff)}
		if leaky {
			d.Delay = time.Duration(diff - p.interval)
		}
		return true
	}
	for {
		old := e.hot.state.Load()
		if int64(old) < 0 {
			return false
		}
		tat := max(int64(old), now)
		next := tat + p.interval
		diff := next - now
		if diff > tau {
			*d = Decision{Limit: int(p.quota), Reset: time.Duration(tat - now),
				RetryAfter: time.Duration(diff - tau)}
			return true
		}
		if e.hot.state.CompareAndSwap(old, uint64(next)) {
			*d = Decision{Allowed: true, Limit: int(p.quota),
				Remaining: int((p.tau - diff) / p.interval), Reset: time.Duration(diff)}
			if leaky {
				d.Delay = time.Duration(tat - now)
			}
			// Room for a run of adds: switch the busy-key path on (next is
			// a value the word took on an admission). A compare-and-swap
			// from the value read before: if the path was switched on and
			// off since, this admission's view of the headroom is stale.
			if now >= a && p.tau-diff >= 2*p.ahead && e.ahead.CompareAndSwap(a, next) {
				// Stalled since, while the key filled up: off again.
				if p.tau-(int64(e.hot.state.Load())+p.interval-now) < p.ahead {
					e.ahead.CompareAndSwap(next, ^next)
				}
			}
			return true
		}
	}
}

// addNearFull ends the busy-key path when the add (the word went to next)
// left less than p.ahead of headroom or landed on an evicted entry. Near
// full, the path is switched off, so that rejections take the read-only
// compare-and-swap path again; the request is admitted if its slot is
// still within τ, else rejected and the slot handed back (giveBack). A
// rejection here is rare: it takes more than aheadSlots adds in flight at
// once, a request whose clock reading is more than aheadStale older than
// an admitted one's, or the path switched on by an admission that stalled
// while the key filled up.
func (p *params) addNearFull(d *Decision, e *entry, now, a, next int64) bool {
	tat := next - p.interval
	if tat < 0 { // evicted (gcraDead) after this request read the clock
		return false
	}
	e.ahead.CompareAndSwap(a, ^a)
	diff := next - now
	if diff > p.tau {
		giveBack(e, tat, next)
		*d = Decision{Limit: int(p.quota), Reset: time.Duration(tat - now),
			RetryAfter: time.Duration(diff - p.tau)}
		return true
	}
	*d = Decision{Allowed: true, Limit: int(p.quota),
		Remaining: int((p.tau - diff) / p.interval), Reset: time.Duration(diff)}
	if p.alg == algLeaky {
		d.Delay = time.Duration(tat - now)
	}
	return true
}

// giveBack undoes a rejected add (the word went from tat to next): it puts
// tat back once the word reads next again, that is once every add made
// after it has been undone; each rejected one undoes its own (the yield
// lets one that was preempted in between run). An admission above it
// (possible only for a request whose clock reads later) is never undone;
// after a bounded number of tries the slot then stays reserved, which makes
// the key stricter by one interval, never looser: every admitted request
// still owns a slot of its own, so leaky-bucket turns stay distinct.
// Undoing by compare-and-swap only (never a blind subtract) is what keeps
// the word at or above every value it took on an admission.
func giveBack(e *entry, tat, next int64) {
	for range 64 {
		if e.hot.state.CompareAndSwap(uint64(next), uint64(tat)) {
			return
		}
		if int64(e.hot.state.Load()) < next { // evicted: the word is gcraDead
			return
		}
		runtime.Gosched()
	}
}
