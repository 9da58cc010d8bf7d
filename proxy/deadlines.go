package proxy

import (
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/sock"
	"github.com/premier-gateway/premier/internal/watchdog"
	"github.com/premier-gateway/premier/proxy/upstream"
)

// listener wraps ln so the gateway's watchdog keeps the far read, idle and
// write deadlines of every client connection: fasthttp moves them on each
// request, and without the watchdog each move re-arms a runtime timer.
// Its connections also send a finished response together with the wait
// for the next request (sock.ClientConn).
// A connection over limits.max_connections_per_ip is answered 429 and
// closed here (sock.ConnCap), never reaching the server. With h2c on, the
// connections first go through the h2c sniffer (h2c.go), which keeps
// those that open with the HTTP/2 preface.
func (g *Gateway) listener(ln net.Listener) net.Listener {
	if g.Loaded().Config.H2C {
		ln = g.sniffH2C(ln)
	}
	return clientListener{ln, g, false, new(atomic.Bool)}
}

// tlsBase wraps the TCP listener under a TLS one (ListenTLS): the same cap
// and watchdog deadlines (tls.Conn sets its deadlines on the watched
// connection below it, handshake included), but no sock.ClientConn: its
// raw-socket writes would bypass the TLS record layer, so a TLS
// connection writes each response at once. A connection over the cap is
// closed without an answer: a plain-text 429 means nothing to a client
// that expects a ServerHello.
func (g *Gateway) tlsBase(ln net.Listener) net.Listener {
	return clientListener{ln, g, true, new(atomic.Bool)}
}

type clientListener struct {
	net.Listener
	g        *Gateway
	tls      bool         // under a TLS listener: see tlsBase
	stopping *atomic.Bool // StopAccepting ran
}

// backlogSweep is how long StopAccepting keeps taking connections the
// kernel has already completed (its accept queue): each one's client saw
// its connect succeed and may be writing its request, so it is served
// rather than reset by the close.
const backlogSweep = 20 * time.Millisecond

// StopAccepting ends the listener's accepting without losing what the
// kernel already accepted: Accept returns the queued connections for
// backlogSweep more (or, over the h2c sniffer, those it still hands on),
// then closes the listener and reports net.ErrClosed.
func (l clientListener) StopAccepting() {
	if l.stopping.Swap(true) {
		return
	}
	if sa, ok := l.Listener.(interface{ StopAccepting() }); ok {
		sa.StopAccepting()
		return
	}
	sweepBacklog(l.Listener)
}

// sweepBacklog makes ln's Accept fail once backlogSweep has passed, so
// the connections already in its queue are still taken; a listener
// without deadlines is closed at once.
func sweepBacklog(ln net.Listener) {
	if d, ok := ln.(interface{ SetDeadline(time.Time) error }); !ok || d.SetDeadline(time.Now().Add(backlogSweep)) != nil {
		_ = ln.Close()
	}
}

// Accept returns the next connection admitted under the caps. Out of file
// descriptors (and the like: sock.RetryAccept) it waits and tries again,
// logging once per shortage, rather than failing the server: fasthttp
// would stop serving for good on such an error.
func (l clientListener) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if l.stopping.Load() { // the sweep's deadline passed, or the listener closed
				_ = l.Listener.Close()
				return nil, net.ErrClosed
			}
			if first := backoff == 0; sock.RetryAccept(err, &backoff, nil) {
				if first {
					l.g.log.Warn("accept failed; retrying until connections close (see the open-file limit in docs/health.md)", "err", err)
				}
				continue
			}
			return nil, err
		}
		backoff = 0
		wc := l.g.admit(c)
		switch {
		case wc == nil && l.tls:
			_ = c.Close()
		case wc == nil:
			answerFor(ErrTooManyConnections).count.n.Add(1) // the one answer not written by writeError
			go sock.Refuse(c, connRefusal)                  // ends within sock.RefuseTime
		case l.tls:
			return wc, nil
		default:
			return sock.NewClientConn(wc), nil
		}
	}
}

// admit applies limits.max_connections_per_ip to c and wraps it for the
// watchdog (the cap's count ends when it closes). It returns nil when c
// is over the cap.
func (g *Gateway) admit(c net.Conn) *watchdog.Conn {
	if limit := g.cur.Load().loaded.Config.Limits.MaxConnectionsPerIP; limit > 0 {
		release, ok := g.conns.Admit(c.RemoteAddr(), limit)
		if !ok {
			return nil
		}
		wc := g.watch.Wrap(c)
		wc.OnClose(release)
		return wc
	}
	return g.watch.Wrap(c)
}

// connRefusal is the whole answer to a connection over the cap.
var connRefusal = func() []byte {
	a := answerFor(ErrTooManyConnections)
	return fmt.Appendf(nil, "HTTP/1.1 %d Too Many Requests\r\nContent-Type: application/json\r\n"+
		"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		a.status, len(a.body), a.body)
}()

// holdResponse marks ctx's response, which the handler has finished, as one
// its connection may hold until the wait for the next request: a buffered
// body on a connection staying open. Others go out as written.
func holdResponse(ctx *fasthttp.RequestCtx) {
	if ctx.Response.IsBodyStream() || ctx.Request.IsBodyStream() ||
		ctx.Response.ConnectionClose() || ctx.Hijacked() {
		return // streamed, or the rest of a body still to read, or closing
	}
	sock.Hold(ctx.Conn())
}

// dialBackend opens a backend connection watched by the gateway's
// watchdog, so the per-request deadlines the transport sets cost no timer.
func (g *Gateway) dialBackend(addr string, timeout time.Duration) (net.Conn, error) {
	return upstream.Dial(g.watch, g.dial, addr, timeout)
}
