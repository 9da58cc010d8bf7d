package proxy

// Slow clients and resource exhaustion (reliability catalogue, section C:
// scenarios 20–24), played by raw TCP clients.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// closedWithin reads from c until it closes (EOF or reset) and reports
// how long that took and what arrived; it fails after limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) (time.Duration, string) {
	t.Helper()
	began := time.Now()
	_ = c.SetReadDeadline(began.Add(limit))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %v (got %q)", limit, b)
	}
	return time.Since(began), string(b)
}

func dialT(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Scenario 20: slowloris connections that never finish their headers are
// closed at read_timeout while normal traffic keeps flowing.
func TestHardeningSlowloris(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, echoBackend), "  limits: {read_timeout: 0.5, idle_timeout: 0.5}\n"))
	const slow = 40
	conns := make([]net.Conn, slow)
	for i := range conns {
		conns[i] = dialT(t, h.addr)
		_, _ = io.WriteString(conns[i], "GET / HTTP/1.1\r\nHost: gw\r\n")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // one header byte per connection every 50 ms
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			for _, c := range conns {
				_, _ = c.Write([]byte{"X-a: b\r\n"[i%8]})
			}
		}
	}()
	for i := 0; i < 20; i++ { // normal traffic meanwhile
		if resp, _ := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("normal request during the attack: %d", resp.StatusCode)
		}
	}
	for i, c := range conns {
		if _, got := closedWithin(t, c, 3*time.Second); got != "" && !strings.HasPrefix(got, "HTTP/1.1 408") {
			t.Fatalf("slow connection %d: %q", i, got)
		}
	}
	close(stop)
	wg.Wait()
}

// Scenario 20/23: a keep-alive connection left idle is closed at
// idle_timeout, and so is a connection that never sends a byte.
func TestHardeningIdleConnectionsClosed(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, echoBackend), "  limits: {read_timeout: 1, idle_timeout: 0.3}\n"))
	silent := dialT(t, h.addr)
	used := dialT(t, h.addr)
	_, _ = io.WriteString(used, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(used), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v %v", resp, err)
	}
	resp.Body.Close()
	if d, _ := closedWithin(t, used, 3*time.Second); d < 200*time.Millisecond {
		t.Fatalf("idle keep-alive closed after %v, before idle_timeout", d)
	}
	closedWithin(t, silent, 3*time.Second)
}

// Scenario 21: R.U.D.Y. — bodies that declare megabytes and trickle a
// byte at a time cost no buffer of their declared size and end at
// read_timeout.
func TestHardeningSlowBody(t *testing.T) {
	var got atomic.Int64
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		n, _ := io.Copy(io.Discard, ctx.RequestBodyStream())
		got.Add(n)
	})
	h := startGateway(t, configYAML(backend, "  limits: {read_timeout: 0.5}\n"))
	const conns = 50
	cs := make([]net.Conn, conns)
	growth := heapPeak(func() {
		for i := range cs {
			cs[i] = dialT(t, h.addr)
			_, _ = io.WriteString(cs[i], "POST /api HTTP/1.1\r\nHost: gw\r\nContent-Length: 4194304\r\n\r\n")
		}
		for i := 0; i < 5; i++ {
			for _, c := range cs {
				_, _ = c.Write([]byte{'x'})
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	if growth > 32<<20 {
		t.Fatalf("heap grew %d MiB for %d slow 4 MiB bodies", growth>>20, conns)
	}
	for i, c := range cs {
		d, out := closedWithin(t, c, 5*time.Second)
		if out != "" && !strings.HasPrefix(out, "HTTP/1.1 408") {
			t.Fatalf("slow body %d after %v: %q", i, d, out)
		}
	}
	if resp, _ := do(t, "POST", h.url+"/api", strings.NewReader("normal"), nil); resp.StatusCode != 200 {
		t.Fatalf("normal POST after the attack: %d", resp.StatusCode)
	}
}

// Scenario 22: a client that never reads a large response is cut off at
// write_timeout; the gateway buffers a bounded amount and lets the
// backend go.
func TestHardeningSlowReader(t *testing.T) {
	var backendGaveUp atomic.Bool
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
			chunk := make([]byte, 64<<10)
			for i := 0; i < 4096; i++ { // up to 256 MiB
				if _, err := w.Write(chunk); err != nil {
					break
				}
				if err := w.Flush(); err != nil {
					break
				}
			}
			backendGaveUp.Store(true)
		})
	})
	h := startGateway(t, configYAML(backend, "  limits: {write_timeout: 0.5}\n"))
	c := dialT(t, h.addr)
	growth := heapPeak(func() {
		_, _ = io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		time.Sleep(time.Second) // read nothing
	})
	if growth > 16<<20 {
		t.Fatalf("heap grew %d MiB for a client that reads nothing", growth>>20)
	}
	// The gateway closed the connection: draining what sat in the socket
	// buffers ends in EOF or a reset, not in 256 MiB.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after write_timeout (%d bytes read)", n)
	}
	if n > 64<<20 {
		t.Fatalf("%d MiB arrived after write_timeout", n>>20)
	}
	for i := 0; !backendGaveUp.Load(); i++ {
		if i == 500 {
			t.Fatal("the backend connection was not released")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Scenario 23: a connection flood beyond max_connections gets 503 at
// once, and a request already running completes.
func TestHardeningConnectionFlood(t *testing.T) {
	release := make(chan struct{})
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/slow" {
			<-release
		}
		ctx.SetBodyString("done")
	})
	h := startGateway(t, configYAML(backend, "  limits: {max_connections: 20, read_timeout: 5, idle_timeout: 5}\n"))
	inFlight := make(chan string, 1)
	go func() {
		resp, err := httpClient.Get(h.url + "/slow")
		if err != nil {
			inFlight <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inFlight <- string(b)
	}()
	time.Sleep(50 * time.Millisecond)
	var held []net.Conn
	for i := 0; i < 19; i++ { // fill the cap with idle connections
		held = append(held, dialT(t, h.addr))
	}
	time.Sleep(50 * time.Millisecond)
	var refused int
	for i := 0; i < 50; i++ {
		c := dialT(t, h.addr)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		_, out := closedWithin(t, c, 2*time.Second)
		if !strings.HasPrefix(out, "HTTP/1.1 503") {
			t.Fatalf("connection %d over the cap: %q", i, out)
		}
		refused++
	}
	close(release)
	if got := <-inFlight; got != "done" {
		t.Fatalf("request in flight during the flood: %q", got)
	}
	for _, c := range held {
		c.Close()
	}
	for i := 0; ; i++ { // the slots free once the held connections close
		resp, err := httpClient.Get(h.url + "/x")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i == 200 {
			t.Fatalf("no recovery after the flood: %v %v", resp, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Scenario 24: a request flood pipelined on one keep-alive connection is
// rate-limited per request, answered in order, with no server-side queue.
func TestHardeningPipelinedFloodOneConnection(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, echoBackend), `  paths:
    - pattern: "/api/*"
      features:
        rate_limit: {quota: 50, duration: 86400}
`))
	c := dialT(t, h.addr)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	const n = 2000
	go func() {
		w := bufio.NewWriter(c)
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "GET /api/x?i=%d HTTP/1.1\r\nHost: gw\r\n\r\n", i)
		}
		_ = w.Flush()
	}()
	br := bufio.NewReader(c)
	counts := map[int]int{}
	for i := 0; i < n; i++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		counts[resp.StatusCode]++
		if resp.StatusCode == 200 && !strings.Contains(string(b), fmt.Sprintf("i=%d\"", i)) {
			t.Fatalf("response %d out of order: %.100s", i, b)
		}
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if counts[200] != 50 || counts[429] != n-50 {
		t.Fatalf("statuses %v, want 50×200 and %d×429", counts, n-50)
	}
}
