// Package ctxtime has the context-aware sleep the library-mode waits share
// (limiter.Wait's leaky-bucket turn, resilience.Retry's pauses).
package ctxtime

import (
	"context"
	"time"
)

// Sleep waits d, or less when ctx is done first (then it returns ctx.Err()).
// A non-positive d returns at once with ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
