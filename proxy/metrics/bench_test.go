package metrics

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

func BenchmarkObserve(b *testing.B) {
	var m Collector
	o := obs("/api/*", 200, time.Millisecond, 800*time.Microsecond, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		m.Observe(o)
	}
}

// BenchmarkObserveParallel records from every P at once, on 4 routes.
func BenchmarkObserveParallel(b *testing.B) {
	var m Collector
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		o := obs(fmt.Sprintf("/r%d", time.Now().UnixNano()%4), 200, time.Millisecond, 800*time.Microsecond, time.Now())
		for pb.Next() {
			m.Observe(o)
		}
	})
}

func BenchmarkSnapshot(b *testing.B) {
	var m Collector
	now := time.Now()
	for i := 0; i < 10; i++ {
		m.Observe(obs(fmt.Sprintf("/r%d", i), 200, time.Millisecond, 0, now))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range m.all() {
			r.snapshot(now)
		}
		m.recent.snapshot(source.RecentFilter{Limit: 50})
	}
	_ = io.Discard
}
