// Package resilience owns the failure policies of the gateway and their
// library ("decorator") form: retries, timeouts, slow-call logging and the
// circuit breaker.
//
// Library mode wraps any function that takes a context.Context:
//
//	v, err := resilience.Retry(ctx, resilience.RetryPolicy{Config: cfg}, fetch)
//	v, err := resilience.Timeout(ctx, 2*time.Second, fetch)
//	v, err := resilience.Timeit(ctx, "fetch", 100*time.Millisecond, nil, fetch)
//	v, err := resilience.Call(ctx, breaker, fetch)
//
// Failures are sentinel errors: [ErrRetriesExhausted] (wrapping the last
// error, so errors.Is matches both), [ErrTimeout] and [ErrOpen].
//
// Gateway mode uses the same types on the request path without allocating:
// [RetryConfig.WaitFor], [RetryConfig.RetryStatus], [RetryConfig.RetryMethod]
// and [RetryConfig.RetryKind] decide each retry, a [Budget] caps retries to
// a share of recent requests, and a [Breaker] (one per rule and backend)
// gates every attempt with [Breaker.Acquire] / [Breaker.Release] (or the
// ticket-less [Breaker.Allow] / [Breaker.Done]). All of those are lock-free.
//
// The package knows nothing of HTTP routes, YAML paths or other leaves.
package resilience
