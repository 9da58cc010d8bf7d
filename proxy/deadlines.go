package proxy

import (
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// Listener wraps ln so the gateway's watchdog keeps the far read, idle and
// write deadlines of every client connection: fasthttp moves them on each
// request, and without the watchdog each move re-arms a runtime timer.
// Its connections also send a finished response together with the wait
// for the next request (clientConn). Serve the gateway's server on the
// returned listener.
// A connection over limits.max_connections_per_ip is answered 429 and
// closed here (connCap), never reaching the server.
func (g *Gateway) Listener(ln net.Listener) net.Listener { return clientListener{ln, g} }

type clientListener struct {
	net.Listener
	g *Gateway
}

func (l clientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if limit := l.g.cur.Load().loaded.Config.Limits.MaxConnectionsPerIP; limit > 0 {
			release, ok := l.g.conns.admit(c.RemoteAddr(), limit)
			if !ok {
				go refuse(c) // ends within refuseTime
				continue
			}
			wc := l.g.watch.Wrap(c)
			wc.OnClose(release)
			return newClientConn(wc), nil
		}
		return newClientConn(l.g.watch.Wrap(c)), nil
	}
}

// dialBackend opens a backend connection watched by the gateway's
// watchdog, so the per-request deadlines the transport sets cost no timer.
func (g *Gateway) dialBackend(addr string, timeout time.Duration) (net.Conn, error) {
	var (
		c   net.Conn
		err error
	)
	switch {
	case g.dial != nil:
		c, err = g.dial(addr)
	case timeout > 0:
		c, err = fasthttp.DialTimeout(addr, timeout)
	default:
		c, err = fasthttp.Dial(addr)
	}
	if err != nil {
		return nil, err
	}
	return newBackendConn(g.watch.Wrap(c)), nil
}
