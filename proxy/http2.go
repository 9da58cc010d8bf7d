package proxy

import (
	"context"
	"net"
	"time"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/h2"
)

// HTTP/2 reaches the one request path (Handler) through package h2: each
// stream becomes a fasthttp.RequestCtx, so every policy applies as over
// HTTP/1.1. Connections come from the TLS listener (ALPN "h2", its hook
// calls ServeHTTP2) and, with h2c: true, from the plain listener (a
// client's HTTP/2 preface, h2c.go). The server is built once at
// New from the limits then in force, as the HTTP/1.1 server takes its
// limits when Serve starts.

// newHTTP2 builds the gateway's HTTP/2 server.
func (g *Gateway) newHTTP2(c *config.Config) *h2.Server {
	lim := c.Limits
	streams := config.DefaultMaxConcurrentStreams
	if c.TLS != nil {
		streams = c.TLS.MaxConcurrentStreams
	}
	return h2.NewServer(g.Handler, h2.Options{
		MaxConcurrentStreams: uint32(streams),
		MaxHeaderBytes:       lim.MaxHeaderBytes,
		MaxConnections:       lim.MaxConnections,
		ReadTimeout:          seconds(lim.ReadTimeout),
		WriteTimeout:         seconds(lim.WriteTimeout),
		IdleTimeout:          seconds(lim.IdleTimeout),
		Logger:               g.log,
	})
}

// ServeHTTP2 serves one HTTP/2 connection until it ends: a TLS
// connection whose ALPN protocol is "h2", accepted by the caller (the
// gateway's own TLS listener hands its connections over with takeHTTP2).
// It closes c.
func (g *Gateway) ServeHTTP2(c net.Conn) { g.h2.ServeConn(c, false) }

// takeHTTP2 is the TLS listener's hook for "h2" (edge.Hook): the HTTP/2
// server claims the connection before its handshake stops counting as
// the listener's, so a drain beginning then waits for it.
func (g *Gateway) takeHTTP2(c net.Conn) func() { return g.h2.Take(c, false) }

// HTTP2Floods is how many HTTP/2 connections were ended for a rapid-reset
// or CONTINUATION flood.
func (g *Gateway) HTTP2Floods() uint64 { return g.h2.Floods() }

// shutdownHTTP2 sends GOAWAY on the HTTP/2 connections (a new one gets
// its last call first, h2.Server.Shutdown) and waits for their streams at
// most grace, then closes what is left.
func (g *Gateway) shutdownHTTP2(grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = g.h2.Shutdown(ctx)
}
