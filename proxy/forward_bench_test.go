package proxy

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/route"
)

// BenchmarkPrepareRequest: the request-side header work per proxied
// request (hop-by-hop stripping, overrides, the forwarding headers) for a
// load generator's bare request and a browser's.
func BenchmarkPrepareRequest(b *testing.B) {
	heads := map[string]string{
		"wrk": "GET /small HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n",
		"browser": "GET /app/page?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive\r\n" +
			"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0\r\nAccept: text/html,*/*;q=0.8\r\n" +
			"Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n" +
			"Cookie: session=abc123; theme=dark\r\nReferer: https://example.com/\r\n\r\n",
	}
	tr, errs := route.ParseTrustedProxies(nil)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	t := &table{trusted: tr}
	for name, head := range heads {
		b.Run(name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			var req fasthttp.Request
			ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
			var orig fasthttp.RequestHeader
			if err := orig.Read(bufio.NewReader(strings.NewReader(head))); err != nil {
				b.Fatal(err)
			}
			s := scratchPool.Get().(*scratch)
			b.ReportAllocs()
			for b.Loop() {
				orig.CopyTo(&ctx.Request.Header)
				if err := prepareRequest(&ctx, t, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
