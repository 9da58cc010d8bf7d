package h2

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// The handler sees the stream as an HTTP/1.1 request: method, target,
// :authority as Host, the fields (Cookie joined), the client's address and
// the TLS state; the client gets status, fields and body over HTTP/2.
func TestServeRequestAndResponse(t *testing.T) {
	type seen struct {
		method, uri, host, proto, cookie, accept, remote string
		tls                                              bool
		sni                                              string
	}
	got := make(chan seen, 1)
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		got <- seen{
			method: string(ctx.Method()), uri: string(ctx.RequestURI()), host: string(ctx.Host()),
			proto: string(ctx.Request.Header.Protocol()), cookie: string(ctx.Request.Header.Peek("Cookie")),
			accept: string(ctx.Request.Header.Peek("Accept")), remote: ctx.RemoteAddr().String(),
			tls: ctx.IsTLS(), sni: ctx.TLSConnectionState().ServerName,
		}
		ctx.Logger().Printf("a handler may log through its ctx: %d", 1)
		ctx.Response.Header.Set("X-Answer", "42")
		ctx.Response.Header.Set("Keep-Alive", "timeout=5") // connection-specific: never sent over h2
		ctx.Response.Header.Set("Connection", "close")
		ctx.Response.Header.SetContentType("text/plain")
		ctx.SetStatusCode(201)
		ctx.SetBodyString("hello h2")
	}, Options{})
	req, _ := http.NewRequest("GET", "https://localhost:"+strings.Split(ts.addr, ":")[1]+"/a/b?x=1", nil)
	req.Header.Add("Cookie", "a=1")
	req.Header.Add("Cookie", "b=2")
	req.Header.Set("Accept", "text/plain")
	c := ts.client()
	c.Transport.(*http.Transport).DialContext = func(ctx2 context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx2, network, ts.addr)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Proto != "HTTP/2.0" {
		t.Fatalf("Proto = %q, want HTTP/2.0", resp.Proto)
	}
	if resp.StatusCode != 201 || string(body) != "hello h2" || resp.Header.Get("X-Answer") != "42" ||
		resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("got %d %q %v", resp.StatusCode, body, resp.Header)
	}
	for _, k := range []string{"Keep-Alive", "Connection"} {
		if v := resp.Header.Get(k); v != "" {
			t.Errorf("%s: %q reached the h2 client", k, v)
		}
	}
	s := <-got
	if s.method != "GET" || s.uri != "/a/b?x=1" || !strings.HasPrefix(s.host, "localhost:") || s.proto != "HTTP/1.1" ||
		s.cookie != "a=1; b=2" || s.accept != "text/plain" || !strings.HasPrefix(s.remote, "127.0.0.1:") ||
		!s.tls || s.sni != "localhost" {
		t.Fatalf("handler saw %+v", s)
	}
}

// A large request body reaches the handler as a stream (never read whole
// first) and a large response body goes back as one, both intact.
func TestServeLargeBodiesStream(t *testing.T) {
	const size = 8 << 20
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		if !ctx.Request.IsBodyStream() {
			ctx.Error("body not streamed", 500)
			return
		}
		// The gateway replaces the body stream with its own wrapper
		// before reading it; fasthttp closes the replaced stream, which
		// must not end the HTTP/2 body.
		stream := ctx.RequestBodyStream()
		ctx.Request.SetBodyStream(io.MultiReader(stream), ctx.Request.Header.ContentLength())
		h := sha256.New()
		n, err := io.Copy(h, ctx.RequestBodyStream())
		if err != nil || n != size {
			ctx.Error(fmt.Sprintf("read %d: %v", n, err), 500)
			return
		}
		ctx.Response.Header.Set("X-Sum", fmt.Sprintf("%x", h.Sum(nil)))
		ctx.SetBodyStream(io.LimitReader(zeros{}, size), size)
	}, Options{})
	payload := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	want := sha256.Sum256(payload)
	resp, err := ts.client().Post(ts.url("/up"), "application/octet-stream", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != size || resp.StatusCode != 200 || resp.Header.Get("X-Sum") != fmt.Sprintf("%x", want) {
		t.Fatalf("status %d, %d bytes (%v), sum %s", resp.StatusCode, n, err, resp.Header.Get("X-Sum"))
	}
	if resp.ContentLength != size {
		t.Errorf("Content-Length %d, want %d", resp.ContentLength, size)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A streamed body of unknown length reaches the client piece by piece:
// the first event is read while the handler's stream still waits for the
// second (server-sent events).
func TestServeStreamFlushes(t *testing.T) {
	release := make(chan struct{})
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		pr, pw := io.Pipe()
		go func() {
			_, _ = io.WriteString(pw, "data: one\n\n")
			<-release
			_, _ = io.WriteString(pw, "data: two\n\n")
			_ = pw.Close()
		}()
		ctx.Response.Header.SetContentType("text/event-stream")
		ctx.SetBodyStream(pr, -1)
	}, Options{})
	resp, err := ts.client().Get(ts.url("/events"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Transfer-Encoding") != "" || len(resp.TransferEncoding) > 0 {
		t.Errorf("Transfer-Encoding reached the h2 client: %v", resp.TransferEncoding)
	}
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event: %q %v", line, err)
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if string(rest) != "\ndata: two\n\n" {
		t.Fatalf("rest: %q", rest)
	}
}

// Trailers the handler announces go out as HTTP/2 trailers.
func TestServeTrailers(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		_ = ctx.Response.Header.AddTrailer("X-Checksum")
		ctx.SetBodyStream(strings.NewReader("body"), -1)
		ctx.Response.Header.Set("X-Checksum", "abc")
	}, Options{})
	resp, err := ts.client().Get(ts.url("/t"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "body" || resp.Trailer.Get("X-Checksum") != "abc" || resp.Header.Get("X-Checksum") != "" {
		t.Fatalf("body %q, trailer %v, header %v", body, resp.Trailer, resp.Header)
	}
}

// A handler that hijacks (only HTTP/1.1 can hand its connection over) is
// answered 501 at once, and the connection's other streams go on.
func TestServeHijackRefused(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/ws" {
			ctx.HijackSetNoResponse(true)
			ctx.Hijack(func(net.Conn) { t.Error("hijack handler ran over h2") })
			return
		}
		ctx.SetBodyString("ok")
	}, Options{})
	c := ts.client()
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := c.Get(ts.url("/ws"))
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 501 {
			t.Errorf("hijack: %d, want 501", resp.StatusCode)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a hijacking handler left the h2 stream hanging")
	}
	resp, err := c.Get(ts.url("/"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("next stream: %v %v", resp, err)
	}
	resp.Body.Close()
}

// HEAD gets the head only; 204 and 304 carry no body.
func TestServeNoBodyAnswers(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/204":
			ctx.SetStatusCode(204)
		case "/304":
			ctx.SetStatusCode(304)
		default:
			ctx.SetBodyString("twelve bytes")
		}
	}, Options{})
	c := ts.client()
	for _, tc := range []struct {
		method, path string
		status       int
	}{{"HEAD", "/", 200}, {"GET", "/204", 204}, {"GET", "/304", 304}} {
		req, _ := http.NewRequest(tc.method, ts.url(tc.path), nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || len(body) != 0 {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, resp.StatusCode, body)
		}
	}
}

// Connections over MaxConnections are closed unserved (HTTP/2 connections
// leave the HTTP/1.1 server's count, so they have a cap of their own).
func TestServeMaxConnections(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }, Options{MaxConnections: 1})
	first := ts.client()
	defer first.CloseIdleConnections()
	resp, err := first.Get(ts.url("/"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first connection: %v %v", resp, err)
	}
	resp.Body.Close()
	second := ts.client()
	defer second.CloseIdleConnections()
	if resp, err := second.Get(ts.url("/")); err == nil {
		resp.Body.Close()
		t.Fatal("a connection over MaxConnections was served")
	}
	if n := ts.srv.Refused(); n != 1 {
		t.Errorf("Refused() = %d, want 1", n)
	}
}
