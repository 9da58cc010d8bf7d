package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/sock"
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

// NewServer builds the fasthttp server for g with the running config's limits.
func (g *Gateway) NewServer() *fasthttp.Server {
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
	var tooBig *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &tooBig):
		writeError(ctx, ErrHeadersTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		writeError(ctx, ErrBodyTooLarge)
	case isTimeout(err): // slowloris, slow body: read_timeout ran out
		writeError(ctx, ErrClientTimeout)
	default:
		writeError(ctx, ErrBadRequest)
	}
	ctx.SetConnectionClose()
}

// quietLogger sends fasthttp's own log lines to slog at debug level.
type quietLogger struct{ l *slog.Logger }

func (q quietLogger) Printf(format string, args ...any) {
	q.l.Debug("fasthttp", slog.String("msg", format), slog.Any("args", args))
}

// Serve runs srv on ln until ctx is cancelled, then drains in-flight
// requests for at most grace before returning.
func Serve(ctx context.Context, srv *fasthttp.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.ShutdownWithContext(sctx)
	_ = ln.Close() // in case Serve had not registered ln when Shutdown ran
	<-errc
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("shutdown grace period ran out with requests still in flight")
	}
	return err
}
