package cache

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// fakeClock is an injected clock that moves only when told.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// gateway is a real fasthttp server on 127.0.0.1:0 whose handler does what
// the gateway does: Lookup, and on a miss call the backend handler (counted)
// then Fill.Done.
type gateway struct {
	t       *testing.T
	c       *Cache
	clock   *fakeClock
	srv     *fasthttp.Server
	addr    string
	client  *fasthttp.HostClient
	hits    atomic.Int64 // backend calls
	mu      sync.Mutex
	backend fasthttp.RequestHandler
	policy  func(ctx *fasthttp.RequestCtx) *Policy
	// bare leaves backend responses as they are. Otherwise a response
	// without freshness information (no Cache-Control, Expires or
	// Last-Modified) gets Cache-Control: max-age=600, so tests about
	// other rules need not each give one to be stored.
	bare bool
}

func newGateway(t *testing.T, cfg Config, opts ...Option) *gateway {
	t.Helper()
	g := &gateway{t: t, clock: newFakeClock()}
	c, err := New(cfg, append([]Option{WithClock(g.clock.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	g.c = c
	g.backend = func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("hello") }
	g.policy = func(*fasthttp.RequestCtx) *Policy { return &Policy{Rule: "r1"} }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.addr = ln.Addr().String()
	g.srv = &fasthttp.Server{Handler: g.serve, MaxRequestBodySize: 16 << 20}
	done := make(chan struct{})
	go func() { defer close(done); _ = g.srv.Serve(ln) }()
	g.client = &fasthttp.HostClient{Addr: g.addr, MaxResponseBodySize: 64 << 20, MaxConns: 100}
	t.Cleanup(func() {
		_ = g.srv.Shutdown()
		<-done
		g.client.CloseIdleConnections()
		c.Close()
	})
	return g
}

func (g *gateway) serve(ctx *fasthttp.RequestCtx) {
	var buf [256]byte
	key := AppendDefaultKey(buf[:0], &ctx.Request, nil)
	res, fill := g.c.Lookup(ctx, g.policy(ctx), key)
	if res == Hit {
		return
	}
	g.hits.Add(1)
	g.mu.Lock()
	h := g.backend
	g.mu.Unlock()
	h(ctx)
	rh := &ctx.Response.Header
	if !g.bare && rh.Peek("Cache-Control") == nil && rh.Peek("Expires") == nil && rh.Peek("Last-Modified") == nil {
		rh.Set("Cache-Control", "max-age=600")
	}
	fill.Done(ctx)
}

func (g *gateway) setBackend(h fasthttp.RequestHandler) {
	g.mu.Lock()
	g.backend = h
	g.mu.Unlock()
}

// do sends one request; hdrs are name, value pairs.
func (g *gateway) do(method, uri string, hdrs ...string) *fasthttp.Response {
	g.t.Helper()
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	// Every instance sees one public host, as behind a load balancer.
	req.Header.SetHost("gw.example")
	for i := 0; i+1 < len(hdrs); i += 2 {
		req.Header.Set(hdrs[i], hdrs[i+1])
	}
	resp := &fasthttp.Response{}
	if err := g.client.DoTimeout(req, resp, 30*time.Second); err != nil {
		g.t.Fatalf("%s %s: %v", method, uri, err)
	}
	return resp
}

func (g *gateway) get(uri string, hdrs ...string) *fasthttp.Response {
	g.t.Helper()
	return g.do(fasthttp.MethodGet, uri, hdrs...)
}

// settle waits until the cache's asynchronous writes have landed.
func (g *gateway) settle() {
	g.c.l1.Wait()
	if g.c.l2 != nil {
		g.c.l2.flush()
	}
}

func xcache(r *fasthttp.Response) string { return string(r.Header.Peek("X-Cache")) }
func status(r *fasthttp.Response) string { return string(r.Header.Peek("Cache-Status")) }

func testConfig() Config {
	var c Config
	c.Defaults()
	c.MaxBytes = 64 << 20
	return c
}

// primed returns a cache holding a 4 KiB response for ctx's request.
func primed(tb testing.TB, ctx *fasthttp.RequestCtx, p *Policy, respHdrs ...string) *Cache {
	tb.Helper()
	c, err := New(testConfig())
	if err != nil {
		tb.Fatal(err)
	}
	key := AppendDefaultKey(nil, &ctx.Request, nil)
	res, fill := c.Lookup(ctx, p, key)
	if res != Miss {
		tb.Fatal("want a miss")
	}
	ctx.Response.Header.SetContentType("application/json")
	ctx.Response.Header.Set("ETag", `"abc"`)
	ctx.Response.Header.Set("Cache-Control", "public, max-age=600")
	for i := 0; i+1 < len(respHdrs); i += 2 {
		ctx.Response.Header.Set(respHdrs[i], respHdrs[i+1])
	}
	ctx.Response.SetBody(make([]byte, 4096))
	fill.Done(ctx)
	c.l1.Wait()
	ctx.Response.Reset()
	if res, _ := c.Lookup(ctx, p, key); res != Hit {
		tb.Fatal("want a hit")
	}
	return c
}
