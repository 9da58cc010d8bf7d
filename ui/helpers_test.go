package ui

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// harness serves a Dashboard on a real listener, as the gateway does: the
// prefix goes to the dashboard, anything else to a stand-in backend.
type harness struct {
	d    *Dashboard
	src  *memSource
	base string // http://127.0.0.1:port
	host string
}

func start(t *testing.T, src *memSource, opts Options) *harness {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d := New(src, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if strings.HasPrefix(string(ctx.Path()), "/__premier") {
			d.Handler(ctx)
			return
		}
		ctx.SetBodyString("backend")
	}, CloseOnShutdown: true}
	done := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(done) }()
	t.Cleanup(func() {
		d.Close()
		_ = srv.Shutdown()
		<-done
		client.CloseIdleConnections()
	})
	return &harness{d: d, src: src, base: "http://" + ln.Addr().String(), host: ln.Addr().String()}
}

var client = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{},
}

type hdr map[string]string

// call sends one request and returns the response with its body read.
func (h *harness) call(t *testing.T, method, path, body string, headers hdr) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// post is a same-origin JSON POST as the page sends it.
func (h *harness) post(t *testing.T, path, body string, extra hdr) (*http.Response, string) {
	t.Helper()
	headers := hdr{"Content-Type": "application/json", "Origin": h.base, "Sec-Fetch-Site": "same-origin"}
	for k, v := range extra {
		if v == "" {
			delete(headers, k)
		} else {
			headers[k] = v
		}
	}
	return h.call(t, "POST", path, body, headers)
}

// serveAs runs the handler for a request from an arbitrary TCP peer (a
// client on another machine), without a socket.
func serveAs(d *Dashboard, peer string, raw string) *fasthttp.Response {
	var req fasthttp.Request
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		panic(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.ParseIP(peer), Port: 40000}, nil)
	d.Handler(&ctx)
	resp := &fasthttp.Response{}
	ctx.Response.CopyTo(resp)
	return resp
}
