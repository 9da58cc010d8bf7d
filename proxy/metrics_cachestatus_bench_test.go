package proxy

import "testing"

func BenchmarkObserveCacheMiss(b *testing.B) {
	var m metrics
	o := obs("/api/*", 200, 1000, 800, t0)
	o.Cache = CacheMiss
	o.CacheStatus = []byte("premier; fwd=uri-miss; detail=set-cookie")
	m.observe(o)
	b.ReportAllocs()
	for b.Loop() {
		m.observe(o)
	}
}
