package proxy

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/premier-gateway/premier/resilience"
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
					g.log.Error("panic in handler", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
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

// serveApp runs the in-process handler as the rule's one backend: panics
// and 5xx answers count as failures for the retry policy and the breaker,
// exactly as a remote backend's would. A rule with a timeout is not retried
// (the timed-out handler may still hold the request).
func (p *plan) serveApp(g *Gateway, ctx *fasthttp.RequestCtx) {
	attempts := p.attempts(&ctx.Request)
	if p.timeout > 0 {
		attempts = 1
	}
	for attempt := 1; ; attempt++ {
		var ticket resilience.Ticket
		if p.breakers != nil {
			var err error
			if ticket, err = p.breakers[0].Acquire(); err != nil {
				p.unavailable(ctx)
				return
			}
		}
		if p.budgets != nil {
			p.budgets[0].OnRequest()
		}
		panicked := g.callApp(p.app, ctx)
		status := ctx.Response.StatusCode()
		if p.breakers != nil {
			p.breakers[0].Release(ticket, !(panicked || status >= 500) || !p.breakerCfg.CountsKind(resilience.KindOther))
		}
		if attempt >= attempts || !(panicked || p.retry.RetryStatus(status)) ||
			!p.budgets[0].TryRetry() || !waitRetry(p.retry.WaitFor(attempt), time.Time{}) {
			return
		}
		ctx.Response.Reset()
	}
}

// callApp calls the in-process handler, turning a panic into a 500.
func (g *Gateway) callApp(app fasthttp.RequestHandler, ctx *fasthttp.RequestCtx) (panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			g.log.Error("panic in handler", slog.Any("panic", r), slog.String("path", string(ctx.Path())),
				slog.String("stack", string(debug.Stack())))
			writeError(ctx, ErrInternal)
			panicked = true
		}
	}()
	app(ctx)
	return false
}
