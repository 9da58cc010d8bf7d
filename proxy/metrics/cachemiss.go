package metrics

import (
	"bufio"

	"github.com/premier-gateway/premier/cache"
)

// Cache misses are counted per rule twice over, from the cache's own
// account of the miss (cache.MissResult, the value its Cache-Status header
// states on the wire, RFC 9211): why the request missed (Fwd) and what
// became of the backend's response (stored, or the Reason it was not).
// Both label sets are small and fixed, so the counters are arrays.

// numMissFwd bounds the fwd slots: one per cache.Fwd, indexed by it
// (slot 0, cache.FwdUnknown, counts a miss reported without a result).
const numMissFwd = 8

// missFwdNames are the fwd slots' labels; missFwdNames[:numFwd] are in use.
var (
	missFwdNames [numMissFwd]string
	numFwd       int
)

// maxFillSlots bounds the fill slots: one per cache.Reason (slot 0,
// "stored"), then "unknown".
const maxFillSlots = 32

// What became of a miss's response: indexed by cache.Reason ("stored",
// then the cache's reasons for not storing it, read at start-up so a new
// reason needs no change here), then "unknown" (a miss reported without a
// result). fillNames[:numFill] are in use.
var (
	fillNames   [maxFillSlots]string
	numFill     int
	fillUnknown int
)

func init() {
	missFwdNames[cache.FwdUnknown], numFwd = cache.FwdUnknown.String(), 1
	for f := cache.FwdURIMiss; numFwd < numMissFwd && f.String() != "unknown"; f++ {
		missFwdNames[f] = f.String()
		numFwd++
	}
	n := 0
	for r := cache.Reason(0); n < maxFillSlots-1 && r.String() != "unknown"; r++ {
		fillNames[n] = r.String()
		n++
	}
	fillUnknown = n
	fillNames[fillUnknown] = "unknown"
	numFill = n + 1
}

// missSlots returns a miss's fwd and fill slots. It does not allocate.
func missSlots(m cache.MissResult) (fwd, fill int) {
	if m.Fwd == cache.FwdUnknown || int(m.Fwd) >= numFwd {
		return int(cache.FwdUnknown), fillUnknown
	}
	fill = int(m.Reason)
	if fill >= fillUnknown {
		fill = fillUnknown
	}
	return int(m.Fwd), fill
}

// promCacheMisses writes the per-rule miss counters: premier_cache_misses_total
// by fwd and premier_cache_fills_total by result.
func promCacheMisses(w *bufio.Writer, routes []*routeMetrics) {
	promHeader(w, "premier_cache_misses_total", "counter", "Cache misses, by rule and why they missed (Cache-Status fwd: uri-miss, vary-miss, stale, request).")
	for _, r := range routes {
		for i, name := range missFwdNames[:numFwd] {
			if n := r.missFwd[i].Load(); n > 0 {
				promSample(w, "premier_cache_misses_total", n, "route", r.name, "fwd", name)
			}
		}
	}
	promHeader(w, "premier_cache_fills_total", "counter", "Responses fetched on a cache miss, by rule and result: stored, or why they were not (Cache-Status detail).")
	for _, r := range routes {
		for i, name := range fillNames[:numFill] {
			if n := r.missFill[i].Load(); n > 0 {
				promSample(w, "premier_cache_fills_total", n, "route", r.name, "result", name)
			}
		}
	}
}
