package proxy

import (
	"time"

	"github.com/valyala/fasthttp"
)

// lastCallMax bounds the drain's last call (and it never takes more than
// half of limits.shutdown_grace).
const lastCallMax = time.Second

// The last call is the drain's step between accepting and fasthttp's
// shutdown. fasthttp's shutdown closes every idle keep-alive connection at
// once, and a client that sent its next request on one just before (the
// request in the socket, unread) sees the connection closed under that
// request: with an old and a new process sharing the listening socket
// during an upgrade that is a lost request, and a client busy on a
// keep-alive connection is idle between its requests most of the time. So
// once the listener stopped accepting (StopAccepting: a successor's accept
// loop takes the queue) and while every answer says Connection: close
// (drainClose, from StartDraining on), the drain waits, up to the last
// call's deadline, for the connections to go: a client in the middle of
// its traffic sends the next request at once and gets the last answer on
// that connection with the close in it. What is still open at the
// deadline is idle for real and the shutdown closes it, as before.

// awaitConnsGone waits until srv has no connection left, or deadline.
// srv.Serve must have returned: fasthttp counts its accept loop as an open
// connection, and while the server is not shut down
// GetOpenConnectionsCount subtracts that one, so with the loop ended the
// count is one short.
func awaitConnsGone(srv *fasthttp.Server, deadline time.Time) {
	for srv.GetOpenConnectionsCount()+1 > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// lastCallDeadline is when the last call gives up: lastCallMax, or half
// the grace when that is shorter, from now.
func lastCallDeadline(grace time.Duration) time.Time {
	return time.Now().Add(min(lastCallMax, grace/2))
}
