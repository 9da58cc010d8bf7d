package proxy

import (
	"io"

	"github.com/valyala/fasthttp"
)

// clientBody wraps a client's streamed request body on its way to a
// backend. It caps a body of unknown length (chunked) at the body limit,
// and remembers a failed client read, so a broken or oversized client body
// is answered 400 or 413 and never blamed on the backend. A chunked
// body's trailer section is read into the request header (h) when the
// body ends, after the head went out and before fasthttp writes the
// trailers: it is dropped there (dropTrailers).
type clientBody struct {
	r    io.Reader
	h    *fasthttp.RequestHeader
	left int64 // bytes still allowed; negative: no cap
	err  error // the client side's failure, if any
}

func (c *clientBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.left >= 0 {
		if int64(n) > c.left {
			c.err = ErrBodyTooLarge
			return 0, c.err
		}
		c.left -= int64(n)
	}
	if err == io.EOF && c.h != nil {
		dropTrailers(c.h)
	} else if err != nil {
		c.err = err
	}
	return n, err
}

// fault is the sentinel that answers a failed client body.
func (c *clientBody) fault() error {
	if c.err == ErrBodyTooLarge {
		return ErrBodyTooLarge
	}
	return ErrBadRequest
}
