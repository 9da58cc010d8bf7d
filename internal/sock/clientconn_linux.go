package sock

import "syscall"

// canWake: wakeReader works here, so ClientConn may hold responses.
const canWake = true

// wakeReader makes Linux signal the socket fd readable again when bytes
// (or a FIN) are waiting: setting SO_RCVLOWAT re-checks the receive queue
// and raises the readiness event a wait missed (tcp_set_rcvlowat).
func wakeReader(fd uintptr) {
	_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, 1)
}
