package proxy

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// WithHTTPHandler runs the gateway in plugin mode in front of a net/http
// handler (through fasthttp's adaptor).
func WithHTTPHandler(h http.Handler) Option {
	return WithHandler(fasthttpadaptor.NewFastHTTPHandler(h))
}

// timeoutHandler bounds an in-process handler. Go cannot preempt a
// function, so the handler runs in its own goroutine and the client gets the
// rule's timeout response when it overruns; fasthttp then leaves the
// request context to the still-running handler. Only plugin-mode rules with
// a timeout pay for that goroutine.
func (g *Gateway) timeoutHandler(h fasthttp.RequestHandler, d time.Duration, code int, body []byte) fasthttp.RequestHandler {
	var timeoutResp fasthttp.Response
	timeoutResp.SetStatusCode(code)
	timeoutResp.Header.SetContentTypeBytes(contentTypeJSON)
	timeoutResp.SetBody(body)
	return func(ctx *fasthttp.RequestCtx) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				if r := recover(); r != nil {
					g.log.Error("panic in handler", slog.Any("panic", r))
					writeError(ctx, ErrInternal)
				}
			}()
			h(ctx)
		}()
		timer := time.NewTimer(d)
		select {
		case <-done:
			timer.Stop()
		case <-timer.C:
			ctx.TimeoutErrorWithResponse(&timeoutResp)
		}
	}
}
