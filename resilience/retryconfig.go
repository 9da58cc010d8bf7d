package resilience

import (
	"math/rand/v2"
	"time"
)

// defaultOnStatus is used when OnStatus is nil.
var defaultOnStatus = []int{502, 503, 504}

// defaultMethods are retried when Methods is empty.
var defaultMethods = []string{"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}

// WaitFor returns the pause before retry number retry (1 = the first
// retry): the retry-th entry of Wait, the last entry reused when the list is
// shorter, plus a random share of up to Jitter of it. It is 0 for an empty
// Wait or retry < 1. It does not allocate.
func (c *RetryConfig) WaitFor(retry int) time.Duration {
	if len(c.Wait) == 0 || retry < 1 {
		return 0
	}
	w := c.Wait[min(retry, len(c.Wait))-1]
	if c.Jitter > 0 {
		w += w * c.Jitter * rand.Float64()
	}
	return time.Duration(w * float64(time.Second))
}

// RetryStatus reports whether a backend answer with this status is retried:
// it is in OnStatus (502, 503 and 504 when OnStatus is nil). It does not
// allocate.
func (c *RetryConfig) RetryStatus(code int) bool {
	list := c.OnStatus
	if list == nil {
		list = defaultOnStatus
	}
	for _, s := range list {
		if s == code {
			return true
		}
	}
	return false
}

// RetryMethod reports whether a request with this method may be retried:
// it is in Methods (GET, HEAD, OPTIONS, PUT and DELETE when Methods is
// empty), or the request carries an Idempotency-Key header, which declares
// any method safe to repeat. Methods compare case-sensitively, as HTTP
// methods do. It does not allocate.
func (c *RetryConfig) RetryMethod(method []byte, hasIdempotencyKey bool) bool {
	if hasIdempotencyKey {
		return true
	}
	list := c.Methods
	if len(list) == 0 {
		list = defaultMethods
	}
	for _, m := range list {
		if string(method) == m {
			return true
		}
	}
	return false
}

// RetryKind reports whether a failure of kind k is retried under
// Exceptions (every kind when Exceptions is empty). It does not allocate.
func (c *RetryConfig) RetryKind(k Kind) bool {
	if len(c.Exceptions) == 0 {
		return true
	}
	for _, e := range c.Exceptions {
		if matchKind(e, k) {
			return true
		}
	}
	return false
}

// CountsKind reports whether a failure of kind k counts against the
// breaker under ExpectedException.
func (c *BreakerConfig) CountsKind(k Kind) bool { return matchKind(c.ExpectedException, k) }
