//go:build unix

package proxy

import "syscall"

// fdBroken reports, without blocking, whether the socket fd has bytes
// waiting or was closed or reset by the peer; buf (one byte) is scratch.
func fdBroken(fd uintptr, buf []byte) bool {
	_, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// nil: a byte is waiting, or EOF (n == 0); EAGAIN: nothing, as it
	// should be; any other error (ECONNRESET) is a dead connection.
	return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
}
