package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/sock"
	"github.com/premier-gateway/premier/proxy/edge"
	"github.com/premier-gateway/premier/proxy/upstream"
)

// bufferedBodyBytes is how much of a request body is read before the
// handler runs; larger bodies stream to the backend.
const bufferedBodyBytes = 1 << 20

// responseWriteBuffer is the server's response write buffer, pooled per
// exchange, not held per connection: a head plus a body up to ~32 KiB
// leaves in one system call, the one write a client connection may hold
// (sock.HeldMax). The backend clients' buffers are upstream's
// (upstream.RequestWriteBuffer, upstream.ResponseReadBuffer), the same size.
const responseWriteBuffer = sock.HeldMax

// newServer builds the fasthttp server for g with the running config's limits.
func (g *Gateway) newServer() *fasthttp.Server {
	lim := g.Loaded().Config.Limits
	g.keepsHijacked.Store(true)
	return &fasthttp.Server{
		Handler:        g.Handler,
		Name:           "premier",
		ReadTimeout:    seconds(lim.ReadTimeout),
		WriteTimeout:   seconds(lim.WriteTimeout),
		IdleTimeout:    seconds(lim.IdleTimeout),
		ReadBufferSize: lim.MaxHeaderBytes,
		// A response head plus a body up to ~32 KiB leaves in one write
		// (fasthttp's 4 KiB default split a 4 KiB answer into two).
		WriteBufferSize:               responseWriteBuffer,
		Concurrency:                   lim.MaxConnections,
		MaxRequestBodySize:            bufferedBodyBytes,
		StreamRequestBody:             true,
		DisablePreParseMultipartForm:  true,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		NoDefaultDate:                 false,
		LazyRequestTime:               true, // the handler reads the clock itself
		DisableHeaderNamesNormalizing: false,
		CloseOnShutdown:               true,
		KeepHijackedConns:             true, // WebSocket relays own their connections
		ErrorHandler:                  g.serverError,
		ExpectHandler:                 g.expectContinue,
		HeaderReceived:                g.headerReceived,
		Logger:                        quietLogger{g.log},
	}
}

// serverError answers requests fasthttp could not parse: 431 for oversized
// headers, 413 for oversized bodies, 408 when read_timeout ran out, 400 for
// the rest; the connection closes.
func (g *Gateway) serverError(ctx *fasthttp.RequestCtx, err error) {
	defer g.addHSTS(ctx)
	t := g.cur.Load()
	s := getScratch()
	defer scratchPool.Put(s)
	start := time.Now()
	t.rid.requestID(ctx, s)
	var tooBig *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &tooBig):
		writeError(ctx, ErrHeadersTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		writeError(ctx, ErrBodyTooLarge)
	case upstream.IsTimeout(err): // slowloris, slow body: read_timeout ran out
		writeError(ctx, ErrClientTimeout)
	default:
		writeError(ctx, ErrBadRequest)
	}
	ctx.SetConnectionClose()
	g.finishEarly(ctx, t, s, start, false)
}

// quietLogger sends fasthttp's own log lines to slog at debug level.
type quietLogger struct{ l *slog.Logger }

func (q quietLogger) Printf(format string, args ...any) {
	q.l.Debug("fasthttp", slog.String("msg", format), slog.Any("args", args))
}

// Serve serves the gateway on ln until ctx is cancelled, with every
// protection at the listener (the per-address connection cap, the
// watchdog's read, write and idle deadlines, responses sent with the wait
// for the next request) and the server's limits. Once ctx is cancelled it
// drains: StartDraining ({prefix}/readyz answers 503, answers carry
// Connection: close), then it keeps serving, listener open, until the
// lame duck ends (limits.lame_duck after the drain began), then it stops
// accepting without dropping what was accepted (StopAccepting: the
// connections the kernel already queued are still served), gives busy
// keep-alive connections a short last call to take their Connection: close
// answer (lastcall.go), drains requests in flight for at most
// limits.shutdown_grace in all, lets
// close-delimited HTTP/1.0 responses finish for at most as long, sends
// GOAWAY on HTTP/2 connections and lets their streams finish for at most
// as long, and closes relayed WebSocket connections with 1001 (fasthttp's
// shutdown leaves hijacked connections alone). A connection accepted but
// still silent when the drain reaches it is not closed under its client:
// fasthttp treats a new connection as idle only 5 s after it opened, so a
// request it sends meanwhile is answered (with Connection: close); a new
// HTTP/2 connection gets the same last call (its first stream answered
// under a GOAWAY naming it, package h2), arriving before or during the
// drain. A clean shutdown returns nil. Plugin mode serves the same way: Serve is the one
// way to put a Gateway on a listener. A TLS listener from ListenTLS is
// served as it is (its connections are already capped and watched); the
// plain and the TLS listener may be served at once, each by its own Serve
// with the same ctx, and drain together: one lame duck, counted from the
// same instant, and one grace each, side by side.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	srv := g.newServer()
	errc := make(chan error, 1)
	wrapped := ln
	if _, ok := ln.(*edge.Listener); !ok {
		wrapped = g.listener(ln)
	}
	go func() { errc <- srv.Serve(wrapped) }()
	var err error
	select {
	case err = <-errc: // the listener failed
	case <-ctx.Done():
		err = g.drain(srv, ln, wrapped, errc)
	}
	g.closeWebSockets(seconds(g.Loaded().Config.Limits.ShutdownGrace))
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// drain is Serve's end once its ctx is cancelled; errc reports the
// server's Serve.
func (g *Gateway) drain(srv *fasthttp.Server, ln, wrapped net.Listener, errc <-chan error) error {
	lameDuck := time.NewTimer(time.Until(g.lameDuckEnd())) // StartDraining, if nobody did
	var err error
	select {
	case <-lameDuck.C:
	case err = <-errc: // the listener failed during the lame duck
		lameDuck.Stop()
		return err
	}
	grace := seconds(g.Loaded().Config.Limits.ShutdownGrace)
	end := time.Now().Add(grace)
	served := false
	if sa, ok := wrapped.(interface{ StopAccepting() }); ok {
		// The server takes what the listener still hands over, then its
		// Serve returns (the listener reports net.ErrClosed).
		sa.StopAccepting()
		t := time.NewTimer(grace)
		select {
		case err = <-errc:
			served = true
		case <-t.C:
		}
		t.Stop()
	}
	if served {
		awaitConnsGone(srv, lastCallDeadline(grace)) // keep-alive clients told by an answer (lastcall.go)
	}
	h2done := make(chan struct{})
	go func() { g.shutdownHTTP2(grace); close(h2done) }() // GOAWAY while HTTP/1.1 drains
	sctx, cancel := context.WithDeadline(context.Background(), end)
	serr := srv.ShutdownWithContext(sctx)
	cancel()
	if err == nil || errors.Is(err, net.ErrClosed) {
		err = serr
	}
	g.waitStreams(grace)
	<-h2done
	_ = ln.Close() // in case Serve had not registered ln when Shutdown ran
	if !served {
		if serr := <-errc; err == nil {
			err = serr
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.New("shutdown grace period ran out with requests still in flight")
	}
	return err
}
