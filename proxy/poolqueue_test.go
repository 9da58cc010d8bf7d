package proxy

import (
	"net/http"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A request that finds every pooled backend connection in use waits for one
// (backend_queue_timeout) instead of failing: with one connection, a second
// request queued behind a 200 ms one is served when it frees up; with the
// queue off it gets 503 at once.
func TestFullPoolQueues(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/slow" {
			time.Sleep(200 * time.Millisecond)
		}
		ctx.SetBodyString("ok")
	})
	for _, c := range []struct {
		limits string
		want   int
	}{
		{"{max_conns_per_backend: 1, backend_queue_timeout: 5}", 200},
		{"{max_conns_per_backend: 1, backend_queue_timeout: 0}", 503},
	} {
		h := startGateway(t, configYAML(backend, "  limits: "+c.limits+"\n"))
		slow := getAsync(h.url + "/slow")
		time.Sleep(50 * time.Millisecond) // /slow holds the only connection
		if resp, _ := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != c.want {
			t.Fatalf("%s: queued request got %d, want %d", c.limits, resp.StatusCode, c.want)
		}
		if s := <-slow; s != http.StatusOK {
			t.Fatalf("%s: slow request %d", c.limits, s)
		}
	}
}
