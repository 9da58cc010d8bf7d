//go:build !linux

package memtest

import "testing"

func rss(t testing.TB) int64 {
	t.Helper()
	t.Fatal("memtest.RSS reads /proc/self/status: Linux only")
	return 0
}
