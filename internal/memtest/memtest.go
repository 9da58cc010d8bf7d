package memtest

import (
	"runtime"
	"testing"
)

// LiveHeap is the live heap in bytes after a full collection.
func LiveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// RSS is the process's resident set size in bytes after freed memory went
// back to the system; it fails t where the platform does not report one.
func RSS(t testing.TB) int64 {
	t.Helper()
	return rss(t)
}
