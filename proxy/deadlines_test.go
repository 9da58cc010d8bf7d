package proxy

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/upstream"
)

// drain reads a connection until EOF or error and reports how long it took.
func drain(c net.Conn) time.Duration {
	start := time.Now()
	_, _ = io.Copy(io.Discard, c)
	return time.Since(start)
}

// The watchdog keeps the server's timeouts: with pipelining on (the
// fastest configuration), a slowloris client sending a header byte every
// 100 ms is cut off at read_timeout, an idle keep-alive connection at
// idle_timeout, and a silent backend at backend_timeout — while a normal
// client is served throughout.
func TestTimeoutsHoldWithWatchedDeadlines(t *testing.T) {
	release := make(chan struct{})
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/silent" {
			<-release // silent until the test ends
		}
		ctx.SetBodyString("ok")
	})
	t.Cleanup(func() { close(release) }) // runs before the backend's shutdown
	h := startGateway(t, configYAML(backend, `  lb: {pipeline: 1}
  limits: {read_timeout: 0.5, idle_timeout: 0.6, backend_timeout: 0.4}
`))

	t.Run("slowloris", func(t *testing.T) {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		head := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 600) // 60 s at 10 bytes/s
		cut := false
		for i := 0; i < len(head) && time.Since(start) < 40*time.Second; i++ {
			if _, err := c.Write([]byte{head[i]}); err != nil {
				cut = true
				break
			}
			time.Sleep(100 * time.Millisecond)
			_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
			if _, err := c.Read(make([]byte, 512)); err == io.EOF || err != nil && !upstream.IsTimeout(err) {
				cut = true
				break
			}
		}
		took := time.Since(start)
		if !cut || took < 400*time.Millisecond || took > 20*time.Second { // slow under load, but cut long before the 60 s client is done
			t.Fatalf("slowloris connection cut=%v after %v, want cut near read_timeout 0.5 s", cut, took)
		}
	})

	t.Run("idle", func(t *testing.T) {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		took := drain(c) // the response, then EOF when the idle timeout closes it
		if took < 500*time.Millisecond || took > 20*time.Second {
			t.Fatalf("idle keep-alive connection closed after %v, want near idle_timeout 0.6 s", took)
		}
	})

	t.Run("silent backend", func(t *testing.T) {
		start := time.Now()
		resp, _ := do(t, "GET", h.url+"/silent", nil, nil)
		if took := time.Since(start); resp.StatusCode != 504 || took < 350*time.Millisecond || took > 20*time.Second {
			t.Fatalf("silent backend: %d after %v, want 504 near backend_timeout 0.4 s", resp.StatusCode, took)
		}
	})

	if resp, body := do(t, "GET", h.url+"/fine", nil, nil); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("normal request: %d %q", resp.StatusCode, body)
	}
}
