package metrics

import (
	"bufio"

	"github.com/premier-gateway/premier/cache"
)

// Revalidations are counted per rule by outcome (cache.Reval): a stale
// entry refreshed by a 304 ("not-modified"), replaced ("modified"), served
// because the backend failed ("stale-if-error"), not servable after a
// failure ("failed"), or served while a background request refreshes it
// ("stale-while-revalidate"). Slot 0 (cache.RevalNone) is never counted.

// numRevalSlots bounds the outcome slots, indexed by cache.Reval.
const numRevalSlots = 8

var (
	revalNames [numRevalSlots]string
	numReval   int
)

func init() {
	for r := cache.RevalNone; int(r) < numRevalSlots && r.String() != "unknown"; r++ {
		revalNames[r] = r.String()
		numReval++
	}
}

// countReval adds one revalidation outcome; RevalNone and out-of-range
// values are ignored. It does not allocate.
func (r *routeMetrics) countReval(v cache.Reval) {
	if v != cache.RevalNone && int(v) < numReval {
		r.reval[v].Add(1)
	}
}

// Revalidated counts the outcome of a background refresh, which has no
// request of its own to observe.
func (m *Collector) Revalidated(route string, v cache.Reval) {
	m.route(route).countReval(v)
}

// promCacheRevalidations writes premier_cache_revalidations_total by rule
// and outcome.
func promCacheRevalidations(w *bufio.Writer, routes []*routeMetrics) {
	promHeader(w, "premier_cache_revalidations_total", "counter", "Stale cache entries, by rule and what became of them: not-modified, modified, stale-if-error, failed, stale-while-revalidate.")
	for _, r := range routes {
		for i, name := range revalNames[1:numReval] {
			if n := r.reval[i+1].Load(); n > 0 {
				promSample(w, "premier_cache_revalidations_total", n, "route", r.name, "result", name)
			}
		}
	}
}
