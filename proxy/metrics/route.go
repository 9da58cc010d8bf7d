package metrics

import (
	"sync/atomic"
	"time"
)

// routeMetrics are one rule's counters, kept across reloads (keyed by the
// rule's pattern, never by raw path, so labels stay bounded).
type routeMetrics struct {
	name string

	codes      [numMethods][numCodeSlots]atomic.Uint64
	duration   [numClasses][numBuckets]atomic.Uint64 // whole request in the gateway, by status class
	classNs    [numClasses]atomic.Uint64             // the sum of those durations, by status class
	upstream   [numBuckets]atomic.Uint64             // backend time, requests that reached one
	durationNs atomic.Uint64
	upstreamNs atomic.Uint64
	overheadNs atomic.Uint64 // gateway time of the requests that reached a backend
	upstreamN  atomic.Uint64
	cache      [4]atomic.Uint64             // by CacheOutcome
	missFwd    [numMissFwd]atomic.Uint64    // misses by why they missed (missFwdNames)
	missFill   [maxFillSlots]atomic.Uint64  // misses by what became of the response (fillNames)
	reval      [numRevalSlots]atomic.Uint64 // stale entries by outcome (revalNames)
	limit      [4]atomic.Uint64             // by LimitOutcome
	websockets atomic.Int64                 // open WebSocket connections: the tunnel adds 1 and -1
	top        topKeys
	auth       [8]atomic.Uint64 // by AuthOutcome
	refused    topKeys          // clients most refused by auth (401, 403, 429)

	slots [routeSlots]routeSlot // the last 15 minutes, 10 s each
}

// Per-route time slots: 90 × 10 s = 15 minutes of rate and heatmap.
const (
	routeSlots   = 90
	routeSlotSec = 10
)

// routeSlot is ten seconds of one route.
type routeSlot struct {
	epoch      atomic.Int64 // unix second / routeSlotSec
	count      atomic.Uint64
	errors     atomic.Uint64 // 5xx
	upstreamNs atomic.Uint64
	overheadNs atomic.Uint64
	upstreamN  atomic.Uint64
	hist       [numBuckets]atomic.Uint64
}

func (r *routeMetrics) record(o *Observation, sec int64, b int) {
	r.codes[methodSlot(o.Method)][codeSlot(o.Status)].Add(1)
	c := classOf(o.Status)
	r.duration[c][b].Add(1)
	r.classNs[c].Add(uint64(o.Duration))
	r.durationNs.Add(uint64(o.Duration))
	var overhead time.Duration
	if o.Upstream > 0 {
		r.upstream[bucketOf(o.Upstream)].Add(1)
		r.upstreamNs.Add(uint64(o.Upstream))
		overhead = max(o.Duration-o.Upstream, 0)
		r.overheadNs.Add(uint64(overhead))
		r.upstreamN.Add(1)
	}
	r.cache[o.Cache&3].Add(1)
	if o.Cache == CacheMiss {
		fwd, fill := missSlots(o.Miss)
		r.missFwd[fwd].Add(1)
		r.missFill[fill].Add(1)
	}
	r.countReval(o.Miss.Reval)
	r.limit[o.Limit&3].Add(1)
	if o.Limit == LimitRejected && len(o.LimitKey) > 0 {
		r.top.add(o.LimitKey)
	}
	r.auth[o.Auth&7].Add(1)
	if o.Auth >= AuthUnauthorized && len(o.Refused) > 0 {
		r.refused.add(o.Refused)
	}

	ep := sec / routeSlotSec
	s := &r.slots[ep%routeSlots]
	if !s.claim(ep) {
		return
	}
	s.count.Add(1)
	if o.Status >= 500 {
		s.errors.Add(1)
	}
	if o.Upstream > 0 {
		s.upstreamNs.Add(uint64(o.Upstream))
		s.overheadNs.Add(uint64(overhead))
		s.upstreamN.Add(1)
	}
	s.hist[b].Add(1)
}

// claim: see minuteSlot.claim.
func (s *routeSlot) claim(ep int64) bool {
	ok, reset := claimEpoch(&s.epoch, ep)
	if reset {
		zeroSlot(&s.hist, &s.count, &s.errors, &s.upstreamNs, &s.overheadNs, &s.upstreamN)
	}
	return ok
}

// Methods are a fixed label set; anything else counts as "other".
var methodNames = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}

const numMethods = len(methodNames)

func methodSlot(m []byte) int {
	for i, name := range methodNames[:numMethods-1] {
		if string(m) == name {
			return i
		}
	}
	return numMethods - 1
}

// Status codes kept exactly; others count under their class ("4xx").
var exactCodes = [...]int{200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308,
	400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 431, 499,
	500, 501, 502, 503, 504}

// Code slots: the exact codes, then 1xx..5xx, then "other" (outside 100-599).
const numCodeSlots = len(exactCodes) + 6

var (
	codeSlotOf [600]uint8
	codeLabels [numCodeSlots]string
	codeClass  [numCodeSlots]int // 1..5, 0 for other
)

func init() {
	n := len(exactCodes)
	for c := 0; c < 600; c++ {
		if c < 100 {
			codeSlotOf[c] = uint8(n + 5)
			continue
		}
		codeSlotOf[c] = uint8(n + c/100 - 1)
	}
	for i, c := range exactCodes {
		codeSlotOf[c] = uint8(i)
		codeLabels[i] = codeText(c)
		codeClass[i] = c / 100
	}
	for k := 1; k <= 5; k++ {
		codeLabels[n+k-1] = string(rune('0'+k)) + "xx"
		codeClass[n+k-1] = k
	}
	codeLabels[n+5] = "other"
}

// Status classes of the duration histograms: 1xx to 5xx, then "other"
// (outside 100-599).
var classNames = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}

const numClasses = len(classNames)

func classOf(status int) int {
	if status < 100 || status >= 600 {
		return numClasses - 1
	}
	return status/100 - 1
}

func codeSlot(status int) int {
	if status < 0 || status >= 600 {
		return numCodeSlots - 1
	}
	return int(codeSlotOf[status])
}

func codeText(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
