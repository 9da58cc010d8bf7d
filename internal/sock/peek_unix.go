//go:build unix && !aix

package sock

import (
	"net"
	"syscall"
)

// FDBroken reports, without blocking, whether the socket fd has bytes
// waiting or was closed or reset by the peer; buf (one byte) is scratch.
func FDBroken(fd uintptr, buf []byte) bool {
	_, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// nil: a byte is waiting, or EOF (n == 0); EAGAIN: nothing, as it
	// should be; any other error (ECONNRESET) is a dead connection.
	return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
}

// PeerClosed peeks at c's socket without consuming anything: a readable
// end-of-stream means the peer closed its side. A connection that is not
// a socket counts as open.
func PeerClosed(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	var b [1]byte
	_ = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		gone = n == 0 && err == nil
		return true
	})
	return gone
}
