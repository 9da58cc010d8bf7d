//go:build !unix || aix

package sock

import "net"

// FDBroken cannot peek without blocking on this platform (AIX lacks
// MSG_DONTWAIT): every pooled connection counts as sound (the
// stale-connection retry remains).
func FDBroken(uintptr, []byte) bool { return false }

// PeerClosed cannot peek without blocking on this platform: the peer
// counts as still connected until a read or write says otherwise.
func PeerClosed(net.Conn) bool { return false }

// PeekPrefix cannot peek on this platform: nothing matches (a client
// speaking HTTP/2 with prior knowledge is answered as HTTP/1.1).
func PeekPrefix(net.Conn, []byte) (bool, error) { return false, nil }
