package resilience

import (
	"testing"
)

func BenchmarkBreaker(b *testing.B) {
	cfg := BreakerConfig{FailureThreshold: 5, RecoveryTimeout: 60}
	b.Run("AcquireRelease", func(b *testing.B) {
		br := NewBreaker(cfg)
		b.ReportAllocs()
		for b.Loop() {
			if t, err := br.Acquire(); err == nil {
				br.Release(t, true)
			}
		}
	})
	b.Run("AllowDone", func(b *testing.B) {
		br := NewBreaker(cfg)
		b.ReportAllocs()
		for b.Loop() {
			if br.Allow() == nil {
				br.Done(true)
			}
		}
	})
	b.Run("AllowDone/parallel", func(b *testing.B) {
		br := NewBreaker(cfg)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if br.Allow() == nil {
					br.Done(true)
				}
			}
		})
	})
	b.Run("AcquireRelease/parallel", func(b *testing.B) {
		br := NewBreaker(cfg)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if t, err := br.Acquire(); err == nil {
					br.Release(t, true)
				}
			}
		})
	})
	rate := BreakerConfig{RecoveryTimeout: 60, FailureRate: 0.5, MinRequests: 20}
	b.Run("AcquireRelease/failure_rate", func(b *testing.B) {
		br := NewBreaker(rate)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if t, err := br.Acquire(); err == nil {
				br.Release(t, i%8 != 0)
			}
		}
	})
	b.Run("AcquireRelease/failure_rate/parallel", func(b *testing.B) {
		br := NewBreaker(rate)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if t, err := br.Acquire(); err == nil {
					br.Release(t, true)
				}
			}
		})
	})
	b.Run("Allow/open", func(b *testing.B) {
		br := NewBreaker(BreakerConfig{FailureThreshold: 1, RecoveryTimeout: 3600})
		br.Done(false)
		b.ReportAllocs()
		for b.Loop() {
			_ = br.Allow()
		}
	})
}

func BenchmarkRetryHelpers(b *testing.B) {
	var c RetryConfig
	c.Defaults()
	c.Wait = Wait{0.1, 0.2}
	c.Jitter = 0.2
	get := []byte("GET")
	b.Run("WaitFor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.WaitFor(2)
		}
	})
	b.Run("RetryStatus", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.RetryStatus(504)
		}
	})
	b.Run("RetryMethod", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.RetryMethod(get, false)
		}
	})
}

func BenchmarkBudget(b *testing.B) {
	b.Run("OnRequest/parallel", func(b *testing.B) {
		bu := NewBudget(0.2)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				bu.OnRequest()
			}
		})
	})
	b.Run("OnRequest+TryRetry/parallel", func(b *testing.B) {
		bu := NewBudget(0.2)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				bu.OnRequest()
				_ = bu.TryRetry()
			}
		})
	})
}
