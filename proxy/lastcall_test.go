package proxy

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestDrainLastCallAnswersKeepAliveClients: keep-alive clients sending
// request after request while Serve drains. Each learns that its
// connection ends from an answer carrying Connection: close; none has its
// connection closed under a request it already sent (the race fasthttp's
// closing of idle connections has with a client's next request).
func TestDrainLastCallAnswersKeepAliveClients(t *testing.T) {
	be := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	gw := newGateway(t, configYAML(be, "  limits: {shutdown_grace: 2}\n"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()

	const clients = 16
	var answered atomic.Int64
	var wg sync.WaitGroup
	results := make(chan string, clients)
	for range clients {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReader(c)
			for n := 0; ; n++ {
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: gw\r\n\r\n")); err != nil {
					results <- fmt.Sprintf("request %d: write: %v", n, err)
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					results <- fmt.Sprintf("request %d: connection closed under it: %v", n, err)
					return
				}
				resp.Body.Close()
				answered.Add(1)
				if resp.Close {
					results <- ""
					return
				}
			}
		}()
	}
	for answered.Load() < 10*clients {
		time.Sleep(time.Millisecond)
	}
	cancel()
	wg.Wait()
	close(results)
	for r := range results {
		if r != "" {
			t.Error(r)
		}
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
