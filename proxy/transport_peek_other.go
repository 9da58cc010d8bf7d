//go:build !unix

package proxy

// fdBroken cannot peek without blocking on this platform: every pooled
// connection counts as sound (the stale-connection retry remains).
func fdBroken(uintptr, []byte) bool { return false }
