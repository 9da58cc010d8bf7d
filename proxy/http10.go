package proxy

import (
	"io"

	"github.com/valyala/fasthttp"
)

// maxHTTP10Body bounds a backend body of unknown length buffered for an
// HTTP/1.0 client; a larger one is answered 502.
const maxHTTP10Body = 16 << 20

// bufferForHTTP10 reads a streamed backend body of unknown length whole, so
// it reaches an HTTP/1.0 client (which cannot read chunked) with a
// Content-Length: fasthttp would frame it chunked. It reports false when
// the body failed or is over maxHTTP10Body. This is the rare path (1.0
// client, chunked backend answer), so it may allocate.
func bufferForHTTP10(resp *fasthttp.Response) bool {
	stream := resp.BodyStream()
	if stream == nil || resp.Header.ContentLength() >= 0 {
		return true
	}
	body, err := io.ReadAll(io.LimitReader(stream, maxHTTP10Body+1))
	if err != nil || len(body) > maxHTTP10Body {
		return false
	}
	resp.SetBody(body)
	return true
}
