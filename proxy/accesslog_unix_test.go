//go:build unix

package proxy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A sink that blocks (a pipe nobody reads): requests are still answered
// promptly, records are dropped and counted, and /metrics shows them.
func TestAccessLogDropsWhenSinkBlocks(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// A reader that never reads, so opening for writing does not wait.
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := startGateway(t, configYAML(backend, "  access_log: {path: "+fifo+", buffer: 16}\n"))
	ua := strings.Repeat("u", 500) // big lines fill the pipe's 64 KiB sooner
	client := &fasthttp.Client{}
	// Each request must be answered within its client timeout while the
	// writer stays stuck in a write: a request waiting on the log would
	// hang there for good. Before its first write blocks, the writer may
	// hold up to flushBytes (1 MiB: ~1,100 of these lines) besides the
	// pipe's 64 KiB and the ring, so the requests are many more than that.
	const requests = 4000
	for i := 0; i < requests; i++ {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		req.SetRequestURI(h.url + "/x")
		req.Header.SetUserAgent(ua)
		if err := client.DoTimeout(req, resp, 5*time.Second); err != nil || resp.StatusCode() != 200 {
			t.Fatalf("request %d: %v %d", i, err, resp.StatusCode())
		}
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
	}
	dropped := h.gw.AccessLogDropped()
	if dropped < requests/2 {
		t.Fatalf("dropped %d of %d records, want most of them", dropped, requests)
	}
	var prom strings.Builder
	h.gw.writePrometheus(&prom)
	if !regexp.MustCompile(`(?m)^premier_access_log_dropped_total [1-9]\d*$`).MatchString(prom.String()) {
		t.Fatalf("/metrics: no premier_access_log_dropped_total:\n%s", prom.String())
	}
}
