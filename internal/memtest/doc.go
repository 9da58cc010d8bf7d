// Package memtest measures a test process's memory for the tests that bound
// it (limiter keys, stalled clients): the live heap after a full collection
// and the resident set size.
package memtest
