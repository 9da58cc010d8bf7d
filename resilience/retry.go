package resilience

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/premier-gateway/premier/internal/ctxtime"
)

// RetryPolicy is how Retry runs in library mode.
type RetryPolicy struct {
	// Config holds MaxAttempts (below 1 counts as 1), Wait, Jitter and
	// Exceptions. OnStatus, Methods and Budget are for HTTP and unused here.
	Config RetryConfig
	// Retryable decides which errors are retried. Default nil: those whose
	// Classify kind Config.Exceptions names. Errors wrapped with Permanent
	// are never retried either way.
	Retryable func(error) bool
	// Sleep waits d or until ctx ends, returning ctx.Err() then. Default
	// nil: a timer. Tests inject a fake.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Retry calls fn until it succeeds, at most p.Config.MaxAttempts times,
// pausing p.Config.WaitFor(n) before retry n. It returns at once the error
// of a failure that is not retryable, the context's error (wrapping the
// last failure too) when ctx ends, and after the last attempt an error
// matching both ErrRetriesExhausted and the last failure.
func Retry[T any](ctx context.Context, p RetryPolicy, fn func(context.Context) (T, error)) (T, error) {
	attempts := max(p.Config.MaxAttempts, 1)
	sleep := p.Sleep
	if sleep == nil {
		sleep = ctxtime.Sleep
	}
	for attempt := 1; ; attempt++ {
		v, err := fn(ctx)
		if err == nil {
			return v, nil
		}
		var zero T
		if !p.retryable(err) {
			return zero, err
		}
		if attempt >= attempts {
			return zero, fmt.Errorf("%w after %d attempts: %w", ErrRetriesExhausted, attempt, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			return zero, fmt.Errorf("resilience: retry stopped: %w (last error: %w)", cerr, err)
		}
		if cerr := sleep(ctx, p.Config.WaitFor(attempt)); cerr != nil {
			return zero, fmt.Errorf("resilience: retry stopped: %w (last error: %w)", cerr, err)
		}
	}
}

func (p *RetryPolicy) retryable(err error) bool {
	var perm permanent
	if errors.As(err, &perm) {
		return false
	}
	if p.Retryable != nil {
		return p.Retryable(err)
	}
	return p.Config.RetryKind(Classify(err))
}
