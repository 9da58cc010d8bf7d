package main

import (
	"io"
	"strconv"

	"github.com/valyala/fasthttp"
)

// pattern is the repeating content of generated bodies: printable, so a body
// can be inspected with curl, and position-dependent, so truncation or
// reordering by a proxy is detectable.
const pattern = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_\n"

// patternBytes returns the first n bytes of the repeated pattern.
func patternBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = pattern[i%len(pattern)]
	}
	return b
}

// streamThreshold is the size above which /bytes streams instead of setting
// the body from memory.
const streamThreshold = 64 << 10

// maxBytes bounds /bytes (16 GiB).
const maxBytes = 16 << 30

// inline is the preallocated source for small /bytes bodies.
var inline = patternBytes(streamThreshold)

// serveBytes answers /bytes?n=N with N pattern bytes and a Content-Length.
// Bodies above streamThreshold are produced by a reader, chunk by chunk, so
// memory stays flat however large N is.
func serveBytes(ctx *fasthttp.RequestCtx) {
	n, err := strconv.Atoi(string(ctx.QueryArgs().Peek("n")))
	if err != nil || n < 0 || n > maxBytes {
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "n must be 0.." + strconv.Itoa(maxBytes)})
		return
	}
	ctx.SetContentType("application/octet-stream")
	if n <= streamThreshold {
		ctx.SetBody(inline[:n])
		return
	}
	ctx.SetBodyStream(&patternReader{left: n}, n)
}

// patternReader yields `left` bytes of the pattern, continuing where it
// stopped, without holding more than the caller's buffer.
type patternReader struct {
	off  int
	left int
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left)
	for i := 0; i < n; {
		c := copy(p[i:n], pattern[r.off:])
		i += c
		r.off = (r.off + c) % len(pattern)
	}
	r.left -= n
	return n, nil
}
