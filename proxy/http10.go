package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/sock"
)

// streamToHTTP10 sends a body of unknown length (a chunked or
// close-delimited backend answer, an app's stream) to an HTTP/1.0 client
// delimited by the connection's close (RFC 9112 §6.3): the client cannot
// read chunked, and fasthttp frames every stream of unknown size chunked
// whatever the request's version. Reading the body whole for a Content-Length held it
// all in memory per client (60 clients that did not read a 16 MB body held
// about 2 GB). So the server writes no response: once the handler is done
// the connection is handed to writeUntilClose, which sends the head with
// neither Content-Length nor Transfer-Encoding and with Connection: close,
// then the body as it arrives, and closes the connection. A keep-alive
// 1.0 client gets the same: its connection cannot outlive such a body.
// Other answers (known length, HEAD, 204, 304: never a stream of unknown
// size) go out as usual. This is the rare path, so it may allocate.
func (g *Gateway) streamToHTTP10(ctx *fasthttp.RequestCtx) {
	resp := &ctx.Response
	if !resp.IsBodyStream() || resp.Header.ContentLength() >= 0 || resp.SkipBody {
		return
	}
	if g.streams.Load() >= int64(g.maxWebSockets) {
		// A hijacked connection leaves the server's count of
		// max_connections, so these streams have the same cap of their
		// own, as WebSocket relays do.
		writeError(ctx, ErrUnavailable)
		ctx.Response.Header.SetBytesV("Retry-After", strOne)
		ctx.SetConnectionClose()
		return
	}
	timeout := seconds(g.cur.Load().loaded.Config.Limits.WriteTimeout)
	ctx.SetConnectionClose()
	ctx.HijackSetNoResponse(true)
	// The server releases ctx only after the hijack handler returns, so
	// the response (its head and body stream) is still there for it.
	g.streams.Add(1)
	conn := ctx.Conn() // the gateway's own connection, which can half-close
	ctx.Hijack(func(c net.Conn) {
		defer g.streams.Add(-1)
		writeUntilClose(c, conn, resp, timeout)
	})
}

// waitStreams waits, at most grace, for close-delimited responses still
// being written: the server's shutdown no longer counts their hijacked
// connections, and cutting one would end its body early with nothing to
// tell the client it is short.
func (g *Gateway) waitStreams(grace time.Duration) {
	for end := time.Now().Add(grace); g.streams.Load() > 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
}

// writeUntilClose writes resp to c (the hijacked conn) as a
// close-delimited response and closes c (the server keeps hijacked
// connections open: KeepHijackedConns) and the body stream, which hands
// the backend connection back. The whole response has write_timeout to go
// out, as the server gives others. The end of the body is a half-close of
// conn, then what the client still sends is read and dropped for a moment
// (as sock.Refuse does): closing with unread bytes would reset the
// connection, and a reset can discard the end of the body before the
// client has read it.
func writeUntilClose(c, conn net.Conn, resp *fasthttp.Response, timeout time.Duration) {
	defer c.Close()
	defer resp.CloseBodyStream() //nolint:errcheck // nothing to tell the client now
	h := &resp.Header
	h.Del(fasthttp.HeaderTransferEncoding)
	h.Del(fasthttp.HeaderTrailer) // no trailer section without chunked framing
	h.SetConnectionClose()
	if timeout > 0 {
		if err := c.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
			return
		}
	}
	bp := http10Bufs.Get().(*[]byte)
	defer http10Bufs.Put(bp)
	buf := h.AppendBytes((*bp)[:0])
	if _, err := c.Write(buf); err != nil {
		return
	}
	if _, err := io.CopyBuffer(onlyWriter{c}, onlyReader{resp.BodyStream()}, (*bp)[:cap(*bp)]); err != nil {
		return
	}
	if sock.CloseWrite(conn) {
		_ = c.SetReadDeadline(time.Now().Add(sock.RefuseTime))
		_, _ = io.CopyBuffer(onlyWriter{io.Discard}, io.LimitReader(c, 64<<10), (*bp)[:cap(*bp)])
	}
}

// http10Bufs holds the copy buffers of close-delimited responses: one per
// client being written to, not one per body.
var http10Bufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// onlyWriter and onlyReader hide ReadFrom and WriteTo so io.CopyBuffer
// uses the pooled buffer instead of allocating its own.
type onlyWriter struct{ io.Writer }

type onlyReader struct{ io.Reader }

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
