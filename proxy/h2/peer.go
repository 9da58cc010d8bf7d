package h2

import (
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// peer is the net.Conn a stream's fasthttp.RequestCtx sees: the client
// connection's addresses (so the client IP, rate limits per client and
// trusted_proxies work as over HTTP/1.1) and nothing more. One peer serves
// every stream of a connection. Reads and writes fail: the connection
// belongs to the HTTP/2 server, and a handler that wrote to it directly
// would corrupt its framing. A peer is not a syscall.Conn, so socket
// peeks (is the client still there?) find nothing to look at.
type peer struct {
	local, remote net.Addr
}

// tlsPeer is the peer of a TLS connection. Its methods make fasthttp's
// RequestCtx.IsTLS and TLSConnectionState report the connection's state.
type tlsPeer struct {
	peer
	state tls.ConnectionState
}

// errStreamConn is what a handler gets for touching the connection itself.
var errStreamConn = errors.New("h2: the connection belongs to the HTTP/2 server")

func (p *peer) Read([]byte) (int, error)                { return 0, errStreamConn }
func (p *peer) Write([]byte) (int, error)               { return 0, errStreamConn }
func (p *peer) Close() error                            { return nil }
func (p *peer) LocalAddr() net.Addr                     { return p.local }
func (p *peer) RemoteAddr() net.Addr                    { return p.remote }
func (p *peer) SetDeadline(time.Time) error             { return nil }
func (p *peer) SetReadDeadline(time.Time) error         { return nil }
func (p *peer) SetWriteDeadline(time.Time) error        { return nil }
func (p *tlsPeer) Handshake() error                     { return nil }
func (p *tlsPeer) ConnectionState() tls.ConnectionState { return p.state }

// connectionStater is a connection that knows its TLS state (*tls.Conn).
type connectionStater interface {
	ConnectionState() tls.ConnectionState
}

// newPeer builds the peer for the client connection c; a TLS connection
// must have completed its handshake.
func newPeer(c net.Conn) net.Conn {
	p := peer{local: c.LocalAddr(), remote: c.RemoteAddr()}
	if cs, ok := c.(connectionStater); ok {
		return &tlsPeer{peer: p, state: cs.ConnectionState()}
	}
	return &p
}
