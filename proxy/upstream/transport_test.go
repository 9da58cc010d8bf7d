package upstream

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/watchdog"
	"github.com/premier-gateway/premier/lb"
)

// rawBackend serves each accepted connection with serve, which may send
// what fasthttp would not, and returns the listener's address.
func rawBackend(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String()
}

// readRequestHead reads one request head; false when the client is gone.
func readRequestHead(br *bufio.Reader) bool {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		if line == "\r\n" {
			return true
		}
	}
}

// newBackend returns a pool backend for addr whose connections come from
// Dial, configured as the gateway configures its clients.
func newBackend(t *testing.T, addr string) *lb.Backend {
	t.Helper()
	w := watchdog.New(0)
	p := lb.NewPool(func(c *fasthttp.HostClient) {
		c.ReadTimeout, c.WriteTimeout = 5*time.Second, 5*time.Second
		c.ReadBufferSize, c.WriteBufferSize = ResponseReadBuffer, RequestWriteBuffer
		c.DialTimeout = func(addr string, timeout time.Duration) (net.Conn, error) { return Dial(w, nil, addr, timeout) }
	})
	t.Cleanup(func() { p.Close(); w.Close() })
	b, err := p.Get(lb.Server{URL: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A backend that takes the request and closes without a word: a GET (or a
// request with an Idempotency-Key) goes once more on a new connection, a
// POST does not — the backend may have acted on it.
func TestRoundTripRepeatsOnlyWhatIsSafe(t *testing.T) {
	var seen atomic.Int32
	b := newBackend(t, rawBackend(t, func(_ net.Conn, br *bufio.Reader) {
		if readRequestHead(br) {
			seen.Add(1)
		}
	}))
	for _, tc := range []struct {
		method, key string
		want        int32
	}{{"GET", "", 2}, {"POST", "", 1}, {"POST", "k1", 2}} {
		seen.Store(0)
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI("http://" + b.Target.Addr + "/x")
		req.Header.SetMethod(tc.method)
		if tc.key != "" {
			req.Header.Set("Idempotency-Key", tc.key)
		}
		now := time.Now()
		err := RoundTrip(b.Client, req, resp, now, now.Add(5*time.Second), &Whole{Max: 64 << 10})
		if err == nil {
			t.Fatalf("%s %q: no error from a backend that never answers", tc.method, tc.key)
		}
		if got := seen.Load(); got != tc.want {
			t.Errorf("%s (Idempotency-Key %q): the backend got it %d times, want %d", tc.method, tc.key, got, tc.want)
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}
}

// A body over wholeMax streams; read to its end it hands the connection
// back for the next request, and a malformed chunk fails the read.
func TestRoundTripStreamsLargeAndChunkedBodies(t *testing.T) {
	var conns atomic.Int32
	b := newBackend(t, rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		conns.Add(1)
		for readRequestHead(br) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
		}
	}))
	bad := newBackend(t, rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if readRequestHead(br) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n")
		}
	}))
	get := func(b *lb.Backend) (string, error) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI("http://" + b.Target.Addr + "/x")
		if err := RoundTrip(b.Client, req, resp, time.Now(), time.Time{}, &Whole{Max: 64 << 10}); err != nil {
			return "", err
		}
		if !resp.IsBodyStream() {
			t.Fatal("a chunked body was not streamed")
		}
		body, err := io.ReadAll(resp.BodyStream())
		_ = resp.CloseBodyStream()
		return string(body), err
	}
	for i := 0; i < 3; i++ {
		if body, err := get(b); body != "hello world" || err != nil {
			t.Fatalf("request %d: %q, %v", i, body, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("3 sequential requests used %d connections, want 1 kept alive", n)
	}
	if body, err := get(bad); err == nil {
		t.Fatalf("a malformed chunk read as a complete body %q", body)
	}
}

// Concurrent requests on one pipelined connection each get their own
// answer, in order.
func TestPipeTransportAnswersInOrder(t *testing.T) {
	var conns atomic.Int32
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBody(ctx.Path()) },
		ConnState: func(_ net.Conn, s fasthttp.ConnState) {
			if s == fasthttp.StateNew {
				conns.Add(1)
			}
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Shutdown() })
	b := newBackend(t, ln.Addr().String())
	w := watchdog.New(0)
	defer w.Close()
	pt := NewPipeTransport(b, 1, 5*time.Second, func(addr string, timeout time.Duration) (net.Conn, error) {
		return Dial(w, nil, addr, timeout)
	})
	defer pt.Close()
	const workers, each = 8, 50
	errs := make(chan string, workers)
	for g := 0; g < workers; g++ {
		go func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for i := 0; i < each; i++ {
				path := "/" + strings.Repeat("p", g+1) + "/" + string(rune('a'+i%26))
				req.SetRequestURI("http://" + b.Target.Addr + path)
				if !Pipelinable(req) {
					errs <- "a GET without a body is not pipelinable"
					return
				}
				if err := pt.RoundTrip(b, req, resp, time.Now(), time.Time{}, &Whole{Max: 64 << 10}); err != nil || string(resp.Body()) != path {
					errs <- path + ": got " + string(resp.Body())
					return
				}
			}
			errs <- ""
		}()
	}
	for g := 0; g < workers; g++ {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d pipelined requests used %d connections, want 1", workers*each, n)
	}
}
