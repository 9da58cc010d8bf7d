//go:build !linux

package sock

// canWake: elsewhere a missed readiness event cannot be raised again, so
// ClientConn holds no responses.
const canWake = false

func wakeReader(uintptr) {}
