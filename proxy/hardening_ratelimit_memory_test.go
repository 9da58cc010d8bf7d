//go:build !race

package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/memtest"
	"github.com/valyala/fasthttp"
)

// Issue 15, item 6 (catalogue 74): `key: "{header.X-User}"` with 150,000
// distinct 8 KB values once cost ~8.3 KB each (the key was stored whole).
// The limiter now stores 24 bytes per key: through real sockets the heap
// grows by about the entry and its slots per key, and the limit still holds
// per key. Not under -race (its allocator differs); named Alloc so that
// `make test`'s allocation pass runs it.
func TestRateLimitLongKeysMemoryAlloc(t *testing.T) {
	// A backend that reads 8 KB headers (fasthttp's default buffer is 4 KB).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	backend := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }, ReadBufferSize: 16 << 10}
	go backend.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = backend.Shutdown(); _ = ln.Close() })
	h := startGateway(t, configYAML("http://"+ln.Addr().String(), `  paths:
    - pattern: /keyed
      features:
        rate_limit: {quota: 1, duration: 3600, key: "{header.X-User}"}
`))
	pad := strings.Repeat("u", 8<<10-16)
	user := func(i int) string { return fmt.Sprintf("%016d%s", i, pad) }
	// run sends keys [from, to) over `workers` keep-alive connections and
	// checks each answer.
	run := func(from, to int, want int) {
		const workers = 4
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				c, err := net.Dial("tcp", h.addr)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
				br, bw := bufio.NewReader(c), bufio.NewWriterSize(c, 16<<10)
				for i := from + w; i < to; i += workers {
					fmt.Fprintf(bw, "GET /keyed HTTP/1.1\r\nHost: x\r\nX-User: %s\r\n\r\n", user(i))
					if err := bw.Flush(); err != nil {
						t.Error(err)
						return
					}
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != want {
						t.Errorf("key %d: %d, want %d", i, resp.StatusCode, want)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	const warm, n = 10_000, 150_000
	run(0, warm, 200)       // connection buffers and pools reach their size
	time.Sleep(time.Second) // the warm-up's connections finish closing
	before := memtest.LiveHeap()
	run(warm, warm+n, 200)
	after := memtest.LiveHeap()
	grew := after - min(before, after)
	per := grew / n
	t.Logf("%d distinct 8 KB keys through the gateway: heap +%.1f MB, %d B per key", n, float64(grew)/1e6, per)
	if per > 512 {
		t.Errorf("%d B of heap per 8 KB key, want at most 512 (the key must not be stored whole)", per)
	}
	// Each key still has its own counter: the second request of a key is
	// refused, a new key admitted.
	run(warm+n-100, warm+n, 429)
	run(warm+n, warm+n+100, 200)
	// The dashboard's most-limited keys show them readable, cut and marked.
	r, ok := h.gw.metrics.Route("/keyed", time.Now())
	if !ok || len(r.Limit.Top) == 0 {
		t.Fatalf("no top list: %+v", r.Limit)
	}
	for _, k := range r.Limit.Top {
		// The key's bytes are the header's length, ':' and its value.
		cut, marked := strings.CutSuffix(k.Key, "…")
		i, err := strconv.Atoi(cut[min(5, len(cut)):min(21, len(cut))])
		if !marked || len(cut) != 64 || err != nil || i < warm+n-100 || i >= warm+n ||
			!strings.HasPrefix(fmt.Sprintf("%d:%s", 8<<10, user(i)), cut) {
			t.Errorf("top key %q (%d bytes): want a refused key's first 64 bytes and …", k.Key, len(k.Key))
		}
	}
}
