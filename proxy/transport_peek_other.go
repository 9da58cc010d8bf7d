//go:build !unix

package proxy

import "net"

// idleConnBroken cannot peek without blocking on this platform: every
// pooled connection counts as sound (the stale-connection retry remains).
func idleConnBroken(net.Conn) bool { return false }
