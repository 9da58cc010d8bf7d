// Package sock owns the gateway's socket-level code: raw non-blocking
// reads and writes inside Go's poller callbacks ([Socket]), the client
// connection that sends a finished response together with the wait for
// the next request ([ClientConn]), peeks at a socket that consume nothing
// ([FDBroken], [PeerClosed], and [PeekPrefix], which waits in the poller
// to tell a protocol by its first bytes) and the per-address connection cap
// ([ConnCap], [Refuse]).
//
// The tricks are Unix (raw system calls, MSG_PEEK) or Linux (SO_RCVLOWAT
// to raise a missed readiness event again) files; elsewhere the portable
// files keep the same behaviour without them: Go's own reads and writes,
// no held responses, no peeks. The package knows nothing of HTTP: callers
// decide which response may be held ([Hold]) and what a refused
// connection is told.
package sock
