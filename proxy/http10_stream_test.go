package proxy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/wait"
	"github.com/premier-gateway/premier/proxy/config"
)

// patternBody is a deterministic body of n bytes in which every 8-byte
// word differs from its neighbours, so a lost, doubled or reordered slice
// shows in a byte comparison.
func patternBody(n int) []byte {
	b := make([]byte, 0, n+16)
	for i := 0; len(b) < n; i++ {
		b = strconv.AppendInt(b, int64(i%10_000_000), 36)
		b = append(b, ' ')
	}
	return b[:n]
}

// bodyBackend serves patternBody(size) in 32 KiB writes: chunked unless
// the path asks for a Content-Length (?cl), 503 the first time for
// /retry, 304 to If-None-Match, 204 for /empty; /slow pauses 4 ms after
// each write.
func bodyBackend(t testing.TB, size int) (url string, hits *atomic.Int64) {
	t.Helper()
	body := patternBody(size)
	hits = new(atomic.Int64)
	var retried atomic.Bool
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch {
		case r.URL.Path == "/retry" && !retried.Swap(true):
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case r.URL.Path == "/empty":
			w.WriteHeader(http.StatusNoContent)
			return
		case r.Header.Get("If-None-Match") != "":
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Cache-Control", "max-age=60")
		if r.URL.Query().Has("cl") {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		if r.Method == http.MethodHead {
			return
		}
		for off := 0; off < len(body); off += 32 << 10 {
			if _, err := w.Write(body[off:min(off+32<<10, len(body))]); err != nil {
				return
			}
			if r.URL.Path == "/slow" {
				w.(http.Flusher).Flush()
				time.Sleep(4 * time.Millisecond)
			}
		}
	})}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), hits
}

// http10Reply is one raw response read until the gateway closed the
// connection (or the wait ran out).
type http10Reply struct {
	status int
	head   string // lower-cased
	body   []byte
	closed bool // the gateway closed the connection
}

func getHTTP10(t testing.TB, addr, request string, wait time.Duration) http10Reply {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(c)
	var r http10Reply
	r.closed = err == nil
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	if i < 0 {
		t.Fatalf("no response head in %q (err %v)", raw, err)
	}
	r.head = strings.ToLower(string(raw[:i]))
	r.body = raw[i+4:]
	if f := strings.Fields(r.head); len(f) > 1 {
		r.status, _ = strconv.Atoi(f[1])
	}
	return r
}

func (r http10Reply) has(field string) bool { return strings.Contains(r.head, "\r\n"+field) }

// Issue 15, item 5 (catalogue 82): an HTTP/1.0 client gets a body of
// unknown length close-delimited (RFC 9112 §6.3), streamed, never chunked
// and never read whole first: byte for byte the backend's body, with no
// Content-Length or Transfer-Encoding, Connection: close, and the
// connection closed at its end; a keep-alive 1.0 client the same. Bodies
// of known length, HEAD, 204 and 304 are unchanged, as are the cached
// and retried paths.
func TestHTTP10CloseDelimited(t *testing.T) {
	const size = 4 << 20
	want := patternBody(size)
	backend, hits := bodyBackend(t, size)
	h := startGateway(t, configYAML(backend, `  paths:
    - pattern: /cached/*
      features:
        cache: {expire_s: 60}
    - pattern: /retry
      features:
        retry: {max_attempts: 2, wait: 0}
`))
	wait := 20 * time.Second

	closeDelimited := func(name string, r http10Reply) {
		t.Helper()
		if r.status != 200 || !r.closed || !bytes.Equal(r.body, want) {
			t.Fatalf("%s: status %d closed=%v body %d bytes (equal=%v), head %q", name, r.status, r.closed, len(r.body), bytes.Equal(r.body, want), r.head)
		}
		if r.has("content-length:") || r.has("transfer-encoding:") || !r.has("connection: close") {
			t.Fatalf("%s: head is not close-delimited: %q", name, r.head)
		}
	}
	closeDelimited("GET", getHTTP10(t, h.addr, "GET /big HTTP/1.0\r\n\r\n", wait))
	closeDelimited("keep-alive", getHTTP10(t, h.addr, "GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", wait))
	closeDelimited("retried", getHTTP10(t, h.addr, "GET /retry HTTP/1.0\r\n\r\n", wait))
	before := hits.Load()
	closeDelimited("cached rule, first", getHTTP10(t, h.addr, "GET /cached/a HTTP/1.0\r\n\r\n", wait))
	r := getHTTP10(t, h.addr, "GET /cached/a HTTP/1.0\r\n\r\n", wait)
	closeDelimited("cached rule, again", r)
	if !strings.Contains(r.head, "detail=streamed") || hits.Load() != before+2 {
		t.Fatalf("an unknown-length body was served from the cache: %q", r.head)
	}

	// Known length: Content-Length, and a keep-alive 1.0 client keeps its
	// connection; a stored entry answers the same bytes.
	for _, target := range []string{"/big?cl", "/cached/b?cl", "/cached/b?cl"} {
		r := getHTTP10(t, h.addr, "GET "+target+" HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", time.Second)
		if r.status != 200 || r.closed || !bytes.Equal(r.body, want) || !r.has("content-length: "+strconv.Itoa(size)) ||
			r.has("transfer-encoding:") || !r.has("connection: keep-alive") {
			t.Fatalf("%s: status %d closed=%v body %d bytes, head %q", target, r.status, r.closed, len(r.body), r.head)
		}
	}
	// HEAD, 304 and 204 carry no body and keep their framing.
	for _, c := range []struct {
		req    string
		status int
	}{
		{"HEAD /big HTTP/1.0\r\n\r\n", 200},
		{"GET /big HTTP/1.0\r\nIf-None-Match: \"v1\"\r\n\r\n", 304},
		{"GET /empty HTTP/1.0\r\n\r\n", 204},
	} {
		r := getHTTP10(t, h.addr, c.req, wait)
		if r.status != c.status || len(r.body) != 0 || !r.closed || r.has("transfer-encoding:") {
			t.Fatalf("%q: status %d closed=%v body %d bytes, head %q", c.req, r.status, r.closed, len(r.body), r.head)
		}
	}
}

// A close-delimited response in progress when the gateway shuts down is
// finished (within shutdown_grace), not cut: a cut would look complete to
// an HTTP/1.0 client.
func TestHTTP10StreamFinishesOnShutdown(t *testing.T) {
	const size = 4 << 20
	want := patternBody(size)
	backend, _ := bodyBackend(t, size)
	l, err := config.Parse("t.yaml", []byte(configYAML(backend, "")))
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(l)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "GET /slow HTTP/1.0\r\n\r\n"); err != nil { // about half a second
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	if _, err := br.Peek(1); err != nil { // the response has begun
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() { raw, _ := io.ReadAll(br); got <- raw }()
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if n := gw.streams.Load(); n != 0 {
		t.Fatalf("Serve returned with %d close-delimited responses still being written", n)
	}
	raw := <-got
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i < 0 || !bytes.Equal(raw[i+4:], want) {
		t.Fatalf("body across the shutdown: %d bytes", len(raw))
	}
}

// Close-delimited streams run on hijacked connections, which leave the
// server's count of limits.max_connections: they have that cap of their
// own, and one over it is answered 503.
func TestHTTP10StreamsCapped(t *testing.T) {
	backend, _ := bodyBackend(t, 16<<20)
	h := startGateway(t, configYAML(backend, "  limits: {max_connections: 2}\n"))
	stalled := stalledHTTP10(t, h.addr, 2)
	wait.Until(t, "two streams", func() bool { return h.gw.streams.Load() == 2 })
	r := getHTTP10(t, h.addr, "GET /big HTTP/1.0\r\n\r\n", 5*time.Second)
	if r.status != 503 || !r.has("retry-after: 1") || !r.closed {
		t.Fatalf("a third stream: %d %q", r.status, r.head)
	}
	for _, c := range stalled {
		_ = c.Close()
	}
	wait.Until(t, "the streams ended", func() bool { return h.gw.streams.Load() == 0 })
	if r := getHTTP10(t, h.addr, "GET /big HTTP/1.0\r\n\r\n", 20*time.Second); r.status != 200 || len(r.body) != 16<<20 {
		t.Fatalf("after the streams ended: %d, %d bytes", r.status, len(r.body))
	}
}

// stalledHTTP10 opens n connections asking GET /big as HTTP/1.0 that read
// nothing.
func stalledHTTP10(t testing.TB, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := io.WriteString(c, "GET /big HTTP/1.0\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	return conns
}

// In plugin mode an app's body of unknown size reaches an HTTP/1.0 client
// close-delimited too.
func TestHTTP10CloseDelimitedPluginMode(t *testing.T) {
	want := patternBody(1 << 20)
	h := startGateway(t, "premier:\n  paths: [{pattern: \"/*\"}]\n", WithHandler(func(ctx *fasthttp.RequestCtx) {
		ctx.Response.SetBodyStream(bytes.NewReader(want), -1)
	}))
	r := getHTTP10(t, h.addr, "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 10*time.Second)
	if r.status != 200 || !r.closed || !bytes.Equal(r.body, want) || r.has("transfer-encoding:") || r.has("content-length:") {
		t.Fatalf("plugin mode: %d closed=%v %d bytes, head %q", r.status, r.closed, len(r.body), r.head)
	}
}

// The end of a close-delimited body is a half-close, and what the client
// still sends is read and dropped for a moment before the connection
// closes: closing over unread bytes would reset the connection, and a
// reset discards the end of the body the client had not read yet.
func TestHTTP10CloseDelimitedLingers(t *testing.T) {
	const size = 1 << 20
	want := patternBody(size)
	backend, _ := bodyBackend(t, size)
	h := startGateway(t, configYAML(backend, ""))
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	// A request, then bytes the gateway never reads as one (a client
	// sending ahead), then a pause: the whole body is written by then.
	if _, err := io.WriteString(c, "GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"+strings.Repeat("x", 32<<10)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	raw, err := io.ReadAll(c)
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	if err != nil || i < 0 || !bytes.Equal(raw[i+4:], want) {
		t.Fatalf("body after the client sent ahead: %d bytes, err %v", len(raw), err)
	}
}
