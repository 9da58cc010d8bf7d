package metrics

import (
	"testing"

	"github.com/premier-gateway/premier/cache"
)

func BenchmarkObserveCacheMiss(b *testing.B) {
	var m Collector
	o := obs("/api/*", 200, 1000, 800, t0)
	o.Cache = CacheMiss
	o.Miss = cache.MissResult{Fwd: cache.FwdURIMiss, Reason: cache.ReasonSetCookie}
	m.Observe(o)
	b.ReportAllocs()
	for b.Loop() {
		m.Observe(o)
	}
}
