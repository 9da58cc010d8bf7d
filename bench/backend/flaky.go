package main

import (
	"strconv"
	"sync"

	"github.com/valyala/fasthttp"
)

// maxFlakyKeys bounds the memory of the flaky counters; when reached the
// table is cleared (a benchmark spraying random keys cannot grow it forever).
const maxFlakyKeys = 100_000

// flakyCounter counts calls per key for /flaky.
type flakyCounter struct {
	mu   sync.Mutex
	seen map[string]int
}

// next records one call for key and returns its 1-based call number.
func (f *flakyCounter) next(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) >= maxFlakyKeys {
		clear(f.seen)
	}
	f.seen[key]++
	return f.seen[key]
}

// serveFlaky answers /flaky?fail=N&key=K: the first N calls for key K get
// 503, later calls 200. Retry policies are tested against it.
func (b *backend) serveFlaky(ctx *fasthttp.RequestCtx) {
	args := ctx.QueryArgs()
	fail, _ := strconv.Atoi(string(args.Peek("fail")))
	key := string(args.Peek("key"))
	call := b.flaky.next(key)
	if call <= fail {
		ctx.Response.Header.Set("Retry-After", "0")
		writeJSON(ctx, fasthttp.StatusServiceUnavailable, map[string]any{"error": "flaky failure", "key": key, "call": call, "fail": fail})
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, map[string]any{"ok": true, "key": key, "call": call, "fail": fail})
}
