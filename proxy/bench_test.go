package proxy

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/premier-gateway/premier/proxy/config"
)

const benchYAML = `premier:
  servers: ["http://backend.internal:80"]
  paths:
    - pattern: "^/admin/.*$"
      features: {timeout: {seconds: 5}}
    - pattern: /api/users/{id}
      features:
        timeout: {seconds: 5}
        monitoring: {log_threshold: 5}
    - pattern: "/static/*"
    - pattern: "/cached/*"
      features:
        cache: {expire_s: 3600}
    - pattern: "/limited/*"
      features:
        rate_limit: {quota: 1000000000, duration: 1}
  default_features:
    timeout: {seconds: 10}
`

// inmemGateway is a gateway forwarding to an in-memory fasthttp backend,
// driven through a reused RequestCtx: the whole proxied path (normalise,
// match, plan, forward through the HostClient, response) without sockets.
type inmemGateway struct {
	gw  *Gateway
	ctx fasthttp.RequestCtx
	bw  *bufio.Writer
}

func newInmemGateway(tb testing.TB) *inmemGateway { return newInmemGatewayConfig(tb, benchYAML) }

// pipelinedYAML is benchYAML with backend pipelining on.
var pipelinedYAML = strings.Replace(benchYAML, "  paths:\n", "  lb: {pipeline: 1}\n  paths:\n", 1)

func newInmemGatewayConfig(tb testing.TB, yamlText string) *inmemGateway {
	body, body4k := make([]byte, 100), make([]byte, 4<<10)
	return newInmemGatewayWith(tb, yamlText, func(ctx *fasthttp.RequestCtx) {
		if strings.HasSuffix(string(ctx.Path()), "/4k") {
			ctx.SetBody(body4k)
			return
		}
		ctx.SetBody(body)
	})
}

// newInmemGatewayWith is newInmemGatewayConfig with every backend server
// in yamlText answered by backend.
func newInmemGatewayWith(tb testing.TB, yamlText string, backend fasthttp.RequestHandler) *inmemGateway {
	tb.Helper()
	ln := fasthttputil.NewInmemoryListener()
	srv := &fasthttp.Server{Handler: backend}
	go srv.Serve(ln) //nolint:errcheck
	tb.Cleanup(func() { _ = srv.Shutdown(); _ = ln.Close() })
	l, err := config.Parse("bench.yaml", []byte(yamlText))
	if err != nil {
		tb.Fatal(err)
	}
	gw, err := New(l, WithLogger(discardLogger()), func(g *Gateway) {
		g.dial = func(string) (net.Conn, error) { return ln.Dial() }
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(gw.Close)
	g := &inmemGateway{gw: gw, bw: bufio.NewWriter(io.Discard)}
	var req fasthttp.Request
	g.ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	return g
}

func (g *inmemGateway) do(tb testing.TB, uri string) { g.send(tb, "GET", uri, nil) }

// send proxies one request with method and body through the gateway.
func (g *inmemGateway) send(tb testing.TB, method, uri string, body []byte) {
	req := &g.ctx.Request
	req.Reset()
	req.Header.SetMethod(method)
	if body != nil {
		req.SetBody(body)
	}
	req.SetRequestURI(uri)
	req.Header.SetHost("example.com")
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	g.ctx.Response.Reset()
	// A server's RequestCtx keeps its response body buffer between
	// requests (fasthttp's keepBodyBuffer); without it every answer would
	// take one from the global pool, whose size calibration depends on
	// what earlier tests sent.
	g.ctx.Response.KeepBodyBuffer = true
	g.gw.Handler(&g.ctx)
	if g.ctx.Response.StatusCode() != 200 {
		tb.Fatalf("%s: status %d %s", uri, g.ctx.Response.StatusCode(), g.ctx.Response.Body())
	}
	if err := g.ctx.Response.Write(g.bw); err != nil {
		tb.Fatal(err)
	}
	_ = g.bw.Flush()
}

func BenchmarkProxyPathPipelined(b *testing.B) {
	g := newInmemGatewayConfig(b, pipelinedYAML)
	g.do(b, "/api/users/42?x=1")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.do(b, "/api/users/42?x=1")
	}
}

func BenchmarkProxyPath(b *testing.B) {
	for _, uri := range []string{"/api/users/42?x=1", "/static/css/site.css", "/other", "/cached/page", "/limited/x"} {
		b.Run(uri, func(b *testing.B) {
			g := newInmemGateway(b)
			g.do(b, uri)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g.do(b, uri)
			}
		})
	}
}
