package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestTransportBodies(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/chunked":
			ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
				for i := 0; i < 1000; i++ {
					fmt.Fprintf(w, "line %d\n", i)
					_ = w.Flush()
				}
			})
		case "/large":
			ctx.SetBody([]byte(strings.Repeat("x", 300<<10)))
		case "/empty":
			ctx.SetStatusCode(204)
		case "/notmod":
			ctx.SetStatusCode(304)
		default:
			ctx.SetBodyString("small")
		}
	})
	h := startGateway(t, configYAML(backend, ""))
	var want strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	for i := 0; i < 3; i++ { // the connection is reused after each kind
		if _, body := do(t, "GET", h.url+"/chunked", nil, nil); body != want.String() {
			t.Fatalf("chunked body: %d bytes, want %d", len(body), want.Len())
		}
		if _, body := do(t, "GET", h.url+"/large", nil, nil); len(body) != 300<<10 {
			t.Fatalf("large body: %d", len(body))
		}
		if resp, body := do(t, "HEAD", h.url+"/large", nil, nil); resp.StatusCode != 200 || body != "" {
			t.Fatalf("HEAD: %d %q", resp.StatusCode, body)
		}
		if resp, _ := do(t, "GET", h.url+"/empty", nil, nil); resp.StatusCode != 204 {
			t.Fatalf("204: %d", resp.StatusCode)
		}
		if resp, _ := do(t, "GET", h.url+"/notmod", nil, nil); resp.StatusCode != 304 {
			t.Fatalf("304: %d", resp.StatusCode)
		}
		if _, body := do(t, "GET", h.url+"/small", nil, nil); body != "small" {
			t.Fatalf("small: %q", body)
		}
	}
}

// rawBackend answers each connection's requests with the given raw response
// writer; it lets tests send what fasthttp would not.
func rawBackend(t *testing.T, serve func(c net.Conn, br *bufio.Reader, n int)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(n int) {
				defer c.Close()
				serve(c, bufio.NewReader(c), n)
			}(n)
		}
	}()
	return "http://" + ln.Addr().String()
}

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

func TestTransportUntilCloseAndMalformedChunks(t *testing.T) {
	backend := rawBackend(t, func(c net.Conn, br *bufio.Reader, _ int) {
		if !readRequestHead(br) {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
	})
	h := startGateway(t, configYAML(backend, ""))
	if _, body := do(t, "GET", h.url+"/", nil, nil); body != "until the end" {
		t.Fatalf("close-delimited body: %q", body)
	}

	bad := rawBackend(t, func(c net.Conn, br *bufio.Reader, _ int) {
		if !readRequestHead(br) {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n")
	})
	h2 := startGateway(t, configYAML(bad, ""))
	resp, err := httpClient.Get(h2.url + "/")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("a malformed chunked body must not reach the client as a complete response")
	}
}

func TestTransportRetriesStaleKeepAlive(t *testing.T) {
	// The backend answers one request per connection and then closes it
	// without saying so: the gateway's pooled connection is dead on reuse.
	var conns atomic.Int32
	backend := rawBackend(t, func(c net.Conn, br *bufio.Reader, _ int) {
		conns.Add(1)
		if !readRequestHead(br) {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	h := startGateway(t, configYAML(backend, ""))
	for i := 0; i < 5; i++ {
		if resp, body := do(t, "GET", h.url+"/", nil, nil); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if conns.Load() < 5 {
		t.Fatalf("expected a new backend connection per request, got %d", conns.Load())
	}
}
