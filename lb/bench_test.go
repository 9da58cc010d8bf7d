package lb

import (
	"fmt"
	"testing"
)

var algorithms = []string{RoundRobin, WeightedRoundRobin, LeastConn, P2CEWMA, IPHash}

func benchBalancer(b *testing.B, algo string, n int) Balancer {
	_, bs := testBackends(b, n)
	w := make([]int, n)
	for i := range w {
		w[i] = i + 1
	}
	bal, err := NewBalancer(Config{Algorithm: algo}, bs, w)
	if err != nil {
		b.Skip(err)
	}
	return bal
}

func BenchmarkPick(b *testing.B) {
	for _, algo := range algorithms {
		for _, n := range []int{3, 8} {
			mask := make(maskFilter, n)
			for i := range mask {
				mask[i] = true
			}
			var f Filter = mask // convert once: the gateway passes a pointer
			b.Run(fmt.Sprintf("%s/%d", algo, n), func(b *testing.B) {
				bal := benchBalancer(b, algo, n)
				b.ReportAllocs()
				var h uint64
				for b.Loop() {
					h++
					bal.Pick(h*0x9e3779b97f4a7c15, f)
				}
			})
			b.Run(fmt.Sprintf("%s/%d/parallel", algo, n), func(b *testing.B) {
				bal := benchBalancer(b, algo, n)
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					var h uint64
					for pb.Next() {
						h++
						bal.Pick(h*0x9e3779b97f4a7c15, f)
					}
				})
			})
		}
	}
}

// BenchmarkPickStartDone is a whole request's bookkeeping: pick, Start, Done.
func BenchmarkPickStartDone(b *testing.B) {
	for _, algo := range algorithms {
		b.Run(algo, func(b *testing.B) {
			_, bs := testBackends(b, 3)
			bal, err := NewBalancer(Config{Algorithm: algo}, bs, nil)
			if err != nil {
				b.Skip(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var h uint64
				for pb.Next() {
					h++
					be := bs[bal.Pick(h, nil)]
					be.Start()
					be.Done(1000, false)
				}
			})
		})
	}
}
