package proxy

import (
	"log/slog"
	"net/http"
	"runtime/debug"
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

// serveApp runs the in-process handler as the rule's one target, through
// the attempt loop: panics and 5xx answers count as failures for the retry
// policy and the breaker, exactly as a remote backend's would. A rule with
// a timeout is not retried (the timed-out handler may still hold the
// request).
func (p *plan) serveApp(g *Gateway, ctx *fasthttp.RequestCtx, s *scratch) {
	attempts := p.attempts(g, s, &ctx.Request)
	if p.timeout > 0 {
		attempts = 1
	}
	// The app trusts X-Consumer as a backend does (prepareRequest).
	ctx.Request.Header.Del(HeaderConsumer)
	if c := s.auth.Identity.Consumer; c != "" {
		ctx.Request.Header.Set(HeaderConsumer, c)
	}
	x := &s.app
	*x = appExchange{g: g, app: p.app, ctx: ctx}
	if r := p.attempt(g, s, x, 0, attempts, p.repeatable(&ctx.Request), time.Time{}); r.i < 0 {
		p.unavailable(ctx)
	}
}

// appExchange calls the in-process handler once per attempt.
type appExchange struct {
	g   *Gateway
	app fasthttp.RequestHandler
	ctx *fasthttp.RequestCtx
}

func (x *appExchange) try(int, time.Time, time.Time) (int, error) {
	if x.g.callApp(x.app, x.ctx) {
		return fasthttp.StatusInternalServerError, errAppPanicked
	}
	return x.ctx.Response.StatusCode(), nil
}

func (x *appExchange) discard() { x.ctx.Response.Reset() }

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
