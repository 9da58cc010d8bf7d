//go:build !linux

package proxy

// canWake: elsewhere a missed readiness event cannot be raised again, so
// clientConn holds no responses.
const canWake = false

func wakeReader(uintptr) {}
