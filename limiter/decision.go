package limiter

import (
	"errors"
	"strconv"
	"time"
)

// ErrLimited is matched (errors.Is) by every error Wait returns: the request
// was rejected, or its context ended while it waited for its turn.
var ErrLimited = errors.New("limiter: rate limited")

// Decision is the outcome of one Allow call. It is a plain value: reading it
// never allocates.
type Decision struct {
	// Allowed reports whether the request may proceed (after Delay).
	Allowed bool
	// Limit is the rule's quota (requests per Duration).
	Limit int
	// Remaining is how many more requests the key could make right now
	// (0 when rejected).
	Remaining int
	// Reset is the time until the key's state is fully reset: the end of the
	// current window (fixed_window), the moment the weighted count reaches 0
	// (sliding_window), or the time until the bucket is full / the queue is
	// empty again (token_bucket, leaky_bucket).
	Reset time.Duration
	// RetryAfter is, when rejected, the earliest time after which the same
	// request could be admitted if nothing else happened. 0 when allowed.
	RetryAfter time.Duration
	// Delay is, for leaky_bucket only, how long an admitted request must
	// wait for its turn before it proceeds (its place in the queue).
	Delay time.Duration
	// Fallback is true when the decision was not made by the store but by
	// the Redis store's failure policy (RedisOptions.FailOpen); Remaining and
	// Reset are then unknown and reported as 0.
	Fallback bool
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up and at least
// 1: the value of a Retry-After header.
func (d Decision) RetryAfterSeconds() int {
	s := int((d.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// LimitError is the error Wait returns. It matches ErrLimited, and unwraps
// to the context's error when the context ended first.
type LimitError struct {
	// Decision is the decision that rejected (or delayed) the request.
	Decision Decision
	// Cause is ctx.Err() when the context ended while waiting, else nil.
	Cause error
}

// Error implements error.
func (e *LimitError) Error() string {
	if e.Cause != nil {
		return "limiter: rate limited: " + e.Cause.Error()
	}
	return "limiter: rate limited, retry after " + strconv.Itoa(e.Decision.RetryAfterSeconds()) + "s"
}

// Is makes errors.Is(err, ErrLimited) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimited }

// Unwrap returns Cause.
func (e *LimitError) Unwrap() error { return e.Cause }
