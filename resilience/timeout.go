package resilience

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Timeout runs fn with a context that ends after d and returns when fn
// returns or the deadline passes, whichever comes first. On the deadline it
// returns an error matching ErrTimeout and context.DeadlineExceeded; fn,
// if it ignores its context, keeps running in its goroutine and its result
// is dropped. When the parent ctx ends first, its error is returned.
// Library mode only: it starts one goroutine per call.
func Timeout[T any](ctx context.Context, d time.Duration, fn func(context.Context) (T, error)) (T, error) {
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1) // buffered: a late fn never blocks
	go func() {
		v, err := fn(tctx)
		done <- result{v, err}
	}()
	var zero T
	select {
	case r := <-done:
		if r.err != nil && errors.Is(r.err, context.DeadlineExceeded) && ctx.Err() == nil && tctx.Err() != nil {
			return zero, timeoutError(d, r.err)
		}
		return r.v, r.err
	case <-tctx.Done():
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		return zero, timeoutError(d, context.DeadlineExceeded)
	}
}

func timeoutError(d time.Duration, err error) error {
	return fmt.Errorf("%w after %v: %w", ErrTimeout, d, err)
}

// Timeit runs fn and logs, at Warn level on logger (slog.Default() when
// nil), each call that took threshold or longer, with its name, duration
// and error. It returns fn's results unchanged.
func Timeit[T any](ctx context.Context, name string, threshold time.Duration, logger *slog.Logger, fn func(context.Context) (T, error)) (T, error) {
	start := time.Now()
	v, err := fn(ctx)
	if elapsed := time.Since(start); elapsed >= threshold {
		if logger == nil {
			logger = slog.Default()
		}
		attrs := []slog.Attr{
			slog.String("name", name),
			slog.Duration("elapsed", elapsed),
			slog.Duration("threshold", threshold),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		logger.LogAttrs(ctx, slog.LevelWarn, "slow call", attrs...)
	}
	return v, err
}
