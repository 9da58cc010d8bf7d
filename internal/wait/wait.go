// Package wait holds the tests' one polling helper.
package wait

import (
	"testing"
	"time"
)

// Until polls cond every 2 ms until it holds, failing the test after 20 s.
// The bound is a liveness guard that stops a broken test from hanging, not
// a timing assertion.
func Until(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
