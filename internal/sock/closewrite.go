package sock

import (
	"net"

	"github.com/premier-gateway/premier/internal/watchdog"
)

// CloseWrite half-closes c's TCP connection (the client reads an end of
// stream, and can still send), looking through the wrappers the gateway
// puts on client connections (ClientConn, watchdog.Conn). It reports
// false for a connection that cannot half-close.
func CloseWrite(c net.Conn) bool {
	for {
		switch x := c.(type) {
		case interface{ CloseWrite() error }:
			return x.CloseWrite() == nil
		case *ClientConn:
			c = x.Conn
		case *watchdog.Conn:
			c = x.Conn
		default:
			return false
		}
	}
}
