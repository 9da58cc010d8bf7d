package upstream

import (
	"net"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/watchdog"
)

// Dial opens a backend connection to addr watched by w, so the
// per-request deadlines the transport sets cost no timer. dial, when not
// nil, replaces the TCP dial (tests' in-memory backends); timeout 0 dials
// without one.
func Dial(w *watchdog.Watchdog, dial fasthttp.DialFunc, addr string, timeout time.Duration) (net.Conn, error) {
	var (
		c   net.Conn
		err error
	)
	switch {
	case dial != nil:
		c, err = dial(addr)
	case timeout > 0:
		c, err = fasthttp.DialTimeout(addr, timeout)
	default:
		c, err = fasthttp.Dial(addr)
	}
	if err != nil {
		return nil, err
	}
	return newBackendConn(w.Wrap(c)), nil
}
