package proxy

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkGatewayTCP drives the real thing over loopback sockets: a
// fasthttp client with 64 parallel connections → the gateway's server
// (watched listener) → a 100-byte fasthttp backend, on the bench config's
// timeout+monitoring rule: the default path bench/abstat.sh measures.
func BenchmarkGatewayTCP(b *testing.B) {
	body := make([]byte, 100)
	backend := startBackend(b, func(ctx *fasthttp.RequestCtx) { ctx.SetBody(body) })
	h := startGateway(b, configYAML(backend, `  default_features:
    timeout: {seconds: 5}
    monitoring: {log_threshold: 1}
`))
	c := &fasthttp.HostClient{Addr: h.addr, MaxConns: 64}
	b.Cleanup(c.CloseIdleConnections)
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://" + h.addr + "/small")
		for pb.Next() {
			if err := c.Do(req, resp); err != nil || resp.StatusCode() != 200 {
				b.Errorf("GET /small: %v %d", err, resp.StatusCode())
				return
			}
		}
	})
}
