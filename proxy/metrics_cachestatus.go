package proxy

import (
	"bufio"
	"bytes"

	"github.com/premier-gateway/premier/cache"
)

// Cache misses are counted per rule twice over, from the miss's
// Cache-Status header (RFC 9211) that the cache sets on every response it
// fetched: why the request missed (the `fwd` parameter) and what became of
// the backend's response (`stored`, or `detail=<reason>` when it was not
// stored). Both label sets are small and fixed, so the counters are arrays.

// Why a request missed: the cache's `fwd` values, then "other" for a value
// this table does not know and "unknown" when the miss carried no
// Cache-Status (Observation.CacheStatus not set).
var missFwdNames = [...]string{"uri-miss", "vary-miss", "stale", "request", "other", "unknown"}

const (
	numMissFwd   = len(missFwdNames)
	fwdOther     = numMissFwd - 2
	fwdUnknown   = numMissFwd - 1
	maxFillSlots = 32
)

// What became of a miss's response: "stored", the cache's reasons for not
// storing it (cache.Reason names, read at start-up so a new reason needs no
// change here), then "other" (a detail this table does not know) and
// "unknown" (no Cache-Status). fillNames[:numFill] are in use.
var (
	fillNames   [maxFillSlots]string
	numFill     int
	fillOther   int
	fillUnknown int
)

func init() {
	fillNames[0] = "stored"
	n := 1
	for r := cache.Reason(1); n < maxFillSlots-2; r++ {
		name := r.String()
		if name == "unknown" || name == "" || r == 0 {
			break
		}
		fillNames[n] = name
		n++
	}
	fillOther, fillUnknown = n, n+1
	fillNames[fillOther], fillNames[fillUnknown] = "other", "unknown"
	numFill = n + 2
}

// missSlots parses a miss's Cache-Status value, e.g.
// `premier; fwd=uri-miss; stored; ttl=60` or
// `premier; fwd=stale; detail=set-cookie`, into its fwd and fill slots.
// It does not allocate.
func missSlots(v []byte) (fwd, fill int) {
	if len(v) == 0 {
		return fwdUnknown, fillUnknown
	}
	fwd, fill = fwdOther, fillOther
	for len(v) > 0 {
		var p []byte
		if i := bytes.IndexByte(v, ';'); i >= 0 {
			p, v = v[:i], v[i+1:]
		} else {
			p, v = v, nil
		}
		p = bytes.TrimSpace(p)
		switch {
		case bytes.HasPrefix(p, []byte("fwd=")):
			fwd = lookupName(missFwdNames[:fwdOther], p[len("fwd="):], fwdOther)
		case bytes.HasPrefix(p, []byte("detail=")):
			fill = lookupName(fillNames[1:fillOther], p[len("detail="):], fillOther-1) + 1
		case string(p) == "stored":
			fill = 0
		}
	}
	return fwd, fill
}

// lookupName returns the index of name in names, or other.
func lookupName(names []string, name []byte, other int) int {
	if len(name) > 1 && name[0] == '"' && name[len(name)-1] == '"' {
		name = name[1 : len(name)-1]
	}
	for i, n := range names {
		if string(name) == n {
			return i
		}
	}
	return other
}

// promCacheMisses writes the per-rule miss counters: premier_cache_misses_total
// by fwd and premier_cache_fills_total by result.
func promCacheMisses(w *bufio.Writer, routes []*routeMetrics) {
	promHeader(w, "premier_cache_misses_total", "counter", "Cache misses, by rule and why they missed (Cache-Status fwd: uri-miss, vary-miss, stale, request).")
	for _, r := range routes {
		for i, name := range missFwdNames {
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
