//go:build unix && !aix

package sock

import (
	"bytes"
	"io"
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

// PeekPrefix waits, without consuming anything, until the first bytes c
// received either start with prefix or differ from it, and reports which.
// The bytes stay in the socket for whoever reads c next. It waits in the
// poller (no thread held) until c's read deadline; a connection closed or
// timed out before the answer is an error. A connection that is not a
// socket, or a prefix over 64 bytes, never matches.
func PeekPrefix(c net.Conn, prefix []byte) (bool, error) {
	sc, ok := c.(syscall.Conn)
	if !ok || len(prefix) > 64 {
		return false, nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false, err
	}
	var b [64]byte
	buf := b[:len(prefix)]
	match, decided := false, false
	var perr error
	err = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			return false // nothing yet: wait until readable
		case err != nil:
			perr = err
			return true
		case n == 0:
			perr = io.EOF
			return true
		}
		if !bytes.Equal(buf[:n], prefix[:n]) {
			decided = true
			return true
		}
		if n == len(prefix) {
			match, decided = true, true
			return true
		}
		return false // a match so far: wait for more bytes
	})
	if err == nil {
		err = perr
	}
	if !decided && err == nil {
		err = io.ErrUnexpectedEOF
	}
	return match, err
}
