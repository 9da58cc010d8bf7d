package lb

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

// testBackends returns n backends of a fresh pool on unused addresses.
func testBackends(t testing.TB, n int) (*Pool, []*Backend) {
	t.Helper()
	p := NewPool(nil)
	t.Cleanup(p.Close)
	bs := make([]*Backend, n)
	for i := range bs {
		b, err := p.Get(Server{URL: fmt.Sprintf("http://127.0.0.1:%d", 10000+i), Weight: 1})
		if err != nil {
			t.Fatal(err)
		}
		bs[i] = b
	}
	return p, bs
}

// maskFilter is a Filter over a fixed mask.
type maskFilter []bool

func (m maskFilter) Usable(i int) bool { return m[i] }

// server is a real HTTP listener whose status can be switched.
type server struct {
	URL    string
	status atomic.Int64
	hits   atomic.Int64
	srv    *fasthttp.Server
	ln     net.Listener
}

func startServer(t testing.TB) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{URL: "http://" + ln.Addr().String(), ln: ln}
	s.status.Store(200)
	s.srv = &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		s.hits.Add(1)
		ctx.SetStatusCode(int(s.status.Load()))
		ctx.SetBodyString("ok")
	}}
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns when the test shuts it down
	t.Cleanup(func() { _ = s.srv.Shutdown() })
	return s
}
