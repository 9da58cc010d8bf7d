//go:build unix

package proxy

import (
	"net"
	"syscall"
	"time"
)

// idleConnBroken reports whether a pooled backend connection received
// something while it sat idle: bytes nobody asked for (a backend whose
// framing is off, which would hand them to the next request as its
// answer) or the backend's FIN or RST. Either way it must not carry
// another request. It peeks without blocking and without allocating; a
// connection it cannot inspect (TLS) counts as sound.
func idleConnBroken(c net.Conn) bool {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	_ = tc.SetReadDeadline(time.Time{}) // an expired deadline would skip the peek
	var p connPeek
	if rc.Read(p.peek) != nil {
		return false
	}
	return p.broken
}

type connPeek struct {
	buf    [1]byte
	broken bool
}

func (p *connPeek) peek(fd uintptr) bool {
	_, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// nil: a byte is waiting, or EOF (n == 0); EAGAIN: nothing, as it
	// should be; any other error (ECONNRESET) is a dead connection.
	p.broken = err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
	return true
}
