package main

import (
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// maxBodySize bounds request bodies (/echo accepts bodies of any practical
// size; 1 GiB keeps a runaway client from exhausting memory).
const maxBodySize = 1 << 30

// backend holds the per-process state of the demo server.
type backend struct {
	name  string
	flaky flakyCounter
	otlp  otlpSink
}

func newBackend(name string) *backend {
	return &backend{name: name, flaky: flakyCounter{seen: map[string]int{}}}
}

// server returns a fasthttp server tuned like a typical origin: keep-alive,
// large bodies allowed, no per-request logging.
func (b *backend) server() *fasthttp.Server {
	return &fasthttp.Server{
		Handler:              b.handle,
		Name:                 "premier-bench-backend",
		MaxRequestBodySize:   maxBodySize,
		ReadBufferSize:       16 << 10,
		IdleTimeout:          120 * time.Second,
		NoDefaultContentType: true,
		CloseOnShutdown:      true,
	}
}

// handle routes one request. Routing is a switch on the path so the backend
// costs as little CPU as possible under load.
func (b *backend) handle(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set("X-Backend", b.name)
	p := ctx.Path()
	switch string(p) { // no allocation: the compiler compares bytes in place
	case "/":
		welcome(ctx, b.name)
	case "/small":
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBody(smallBody)
	case "/4k":
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBody(body4k)
	case "/json64k":
		ctx.SetContentType("application/json")
		ctx.SetBody(json64k)
	case "/bytes":
		serveBytes(ctx)
	case "/echo":
		serveEcho(ctx)
	case "/slow":
		serveSlow(ctx)
	case "/flaky":
		b.serveFlaky(ctx)
	case "/headers":
		serveHeaders(ctx)
	case "/healthz":
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBodyString("ok\n")
	case "/ws/echo":
		serveWSEcho(ctx)
	case "/v1/traces":
		b.otlp.serve(ctx)
	default:
		path := string(p)
		switch {
		case strings.HasPrefix(path, "/status/"):
			serveStatus(ctx, path[len("/status/"):])
		case strings.HasPrefix(path, "/api/users/"):
			serveUser(ctx, b.name, path[len("/api/users/"):])
		case strings.HasPrefix(path, "/reval/"):
			serveReval(ctx, p[len("/reval/"):])
		case strings.HasPrefix(path, "/api/admin/"):
			serveAdmin(ctx, b.name, path)
		default:
			writeJSON(ctx, fasthttp.StatusNotFound, map[string]any{"error": "not found", "path": path})
		}
	}
}
