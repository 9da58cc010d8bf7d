package ui

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestStreamOutlivesWriteTimeout: a live stream keeps going past the
// server's WriteTimeout (the gateway's write_timeout) instead of being cut
// mid-chunk, which the browser reports as a console error.
func TestStreamOutlivesWriteTimeout(t *testing.T) {
	d := New(newMemSource(""), Options{Interval: 20 * time.Millisecond, StreamLifetime: time.Minute,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const writeTimeout = 200 * time.Millisecond
	srv := &fasthttp.Server{Handler: d.Handler, WriteTimeout: writeTimeout, CloseOnShutdown: true}
	done := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(done) }()
	defer func() { d.Close(); _ = srv.Shutdown(); <-done }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/__premier/api/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	began := time.Now()
	for n := 0; time.Since(began) < 4*writeTimeout || n < 10; n++ {
		if name, _ := readEvent(t, r); name != "snapshot" {
			t.Fatalf("event %q", name)
		}
	}
}
