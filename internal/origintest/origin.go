package origintest

import (
	"net"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"
)

// Seen is one request as the origin received it.
type Seen struct {
	Method, Path string // Path is the request URI: path and query
	// The conditional and cache-related request headers, "" when absent.
	IfNoneMatch, IfModifiedSince, IfMatch, IfUnmodifiedSince, IfRange, Range, CacheControl string
}

// Origin is one running origin server, stopped when its test ends.
type Origin struct {
	url  string
	mu   sync.Mutex
	seen []Seen
	stop func()
}

// Start serves handler on 127.0.0.1:0 for t's duration.
func Start(t testing.TB, handler fasthttp.RequestHandler) *Origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &Origin{url: "http://" + ln.Addr().String()}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Request.Header
		s := Seen{
			Method: string(ctx.Method()), Path: string(ctx.RequestURI()),
			IfNoneMatch: string(h.Peek("If-None-Match")), IfModifiedSince: string(h.Peek("If-Modified-Since")),
			IfMatch: string(h.Peek("If-Match")), IfUnmodifiedSince: string(h.Peek("If-Unmodified-Since")),
			IfRange: string(h.Peek("If-Range")), Range: string(h.Peek("Range")),
			CacheControl: string(h.Peek("Cache-Control")),
		}
		o.mu.Lock()
		o.seen = append(o.seen, s)
		o.mu.Unlock()
		handler(ctx)
	}}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	var once sync.Once
	// Closing the listener too ends a Serve that had not started when
	// Shutdown ran (Shutdown alone would not stop it).
	o.stop = func() { once.Do(func() { _ = srv.Shutdown(); _ = ln.Close(); <-done }) }
	t.Cleanup(o.stop)
	return o
}

// Stop shuts the origin down before its test ends: its port then refuses
// connections, as an origin that is down does.
func (o *Origin) Stop() { o.stop() }

// URL is http://host:port.
func (o *Origin) URL() string { return o.url }

// Addr is host:port.
func (o *Origin) Addr() string { return o.url[len("http://"):] }

// Seen is every request received so far whose request URI is uri, in
// order ("" for all).
func (o *Origin) Seen(uri string) []Seen {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Seen
	for _, s := range o.seen {
		if uri == "" || s.Path == uri {
			out = append(out, s)
		}
	}
	return out
}

// Count is how many requests for uri reached the origin.
func (o *Origin) Count(uri string) int { return len(o.Seen(uri)) }
