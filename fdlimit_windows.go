package main

import "math"

// raiseFileLimit: Windows has no RLIMIT_NOFILE (handles are limited by
// memory), so there is nothing to raise and nothing to warn about.
func raiseFileLimit() (soft, hard uint64, err error) { return math.MaxUint64, math.MaxUint64, nil }
