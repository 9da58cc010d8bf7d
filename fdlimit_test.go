package main

import (
	"math"
	"testing"
)

// TestFileLimitMath: two descriptors per connection plus the margin; the
// warning comes below that figure only.
func TestFileLimitMath(t *testing.T) {
	for _, tc := range []struct {
		max  int
		need uint64
	}{{10000, 20128}, {1, 130}, {0, 128}, {-5, 128}} {
		if got := fdNeeded(tc.max); got != tc.need {
			t.Errorf("fdNeeded(%d) = %d, want %d", tc.max, got, tc.need)
		}
	}
	if _, low := fileLimitWarning(1024, 10000); !low {
		t.Error("1024 descriptors for 10000 connections: no warning")
	}
	if _, low := fileLimitWarning(20127, 10000); !low {
		t.Error("one short: no warning")
	}
	if msg, low := fileLimitWarning(20128, 10000); low || msg != "" {
		t.Error("exactly enough: a warning")
	}
	if _, low := fileLimitWarning(math.MaxUint64, 10000); low {
		t.Error("unlimited: a warning")
	}
}
