package proxy

import (
	"bufio"
	"bytes"
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

// ownVersion makes a backend's response head the gateway's own: the
// client gets HTTP/1.1 whatever version the backend spoke (RFC 9110 §6.2,
// RFC 9112 §2.3), and keep-alive stays the client's and the gateway's
// choice. fasthttp keeps the parsed version and has no setter for it, so a
// head from an HTTP/1.0 backend is written out and read back as HTTP/1.1:
// the rare path, so it may allocate. It reports false for a head that
// does not read back.
func ownVersion(h *fasthttp.ResponseHeader) bool {
	if h.IsHTTP11() {
		return true
	}
	head := h.AppendBytes(nil)
	sp := bytes.IndexByte(head, ' ')
	if sp < 0 {
		return false
	}
	line := append([]byte("HTTP/1.1"), head[sp:]...)
	var back fasthttp.ResponseHeader
	if err := back.Read(bufio.NewReaderSize(bytes.NewReader(line), len(line))); err != nil {
		return false
	}
	back.ResetConnectionClose()
	back.CopyTo(h)
	return true
}
