package h2

import (
	"bytes"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// serve runs the handler for the stream (on a worker) and writes its
// answer.
func (st *stream) serve() {
	c := st.c
	ctx := st.ctx
	if st.bad == badNone && !st.run(ctx) {
		// The handler panicked: the stream is reset and ctx, in an
		// unknown state, is left to the garbage collector.
		c.mu.Lock()
		c.running--
		c.resetStream(st.id, http2.ErrCodeInternal)
		c.mu.Unlock()
		return
	}
	reuse := true
	resp := &ctx.Response
	switch {
	case ctx.Hijacked():
		// Only HTTP/1.1 can hand its connection over (WebSocket
		// relays, close-delimited bodies for HTTP/1.0): an HTTP/2
		// connection carries other streams. The gateway never hijacks
		// an h2 stream (the requests that lead there cannot be written
		// in HTTP/2); a plugin-mode application that tries is refused
		// here rather than left waiting for a connection it never gets.
		// The hijack handler (which never runs) holds ctx and marks it
		// hijacked for good, so ctx is not reused; the body stream the
		// handler left is closed now.
		reuse = false
		_ = ctx.Response.CloseBodyStream()
		resp = notHijackable()
	case ctx.LastTimeoutErrorResponse() != nil:
		// A handler that overran its timeout still owns ctx (fasthttp's
		// server does the same: it answers with the timeout response and
		// leaves ctx to the handler).
		reuse = false
		resp = ctx.LastTimeoutErrorResponse()
	}
	st.writeResponse(resp)
	c.mu.Lock()
	c.running--
	st.ctx = nil
	c.mu.Unlock()
	if reuse {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctxPool.Put(ctx)
	}
}

// run runs the handler; false if it panicked (logged, as x/net's server
// does: one bad request must not take the process down with the others).
func (st *stream) run(ctx *fasthttp.RequestCtx) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			st.c.s.opts.Logger.Error("http2 handler panicked", slog.Any("panic", p),
				slog.String("stack", string(debug.Stack())))
			ok = false
		}
	}()
	st.c.s.handler(ctx)
	return true
}

// notHijackable is the answer to a handler that hijacked an h2 stream.
func notHijackable() *fasthttp.Response {
	resp := new(fasthttp.Response)
	resp.SetStatusCode(fasthttp.StatusNotImplemented)
	resp.Header.SetContentType("application/json")
	resp.SetBodyString(`{"error": "connection takeover is not available over HTTP/2"}`)
	return resp
}

// copyBufs are the buffers streamed bodies are copied through.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// writeResponse writes the handler's response to the stream: status,
// header fields less the connection-specific ones (RFC 9113 §8.2.2), the
// body (a streamed one written as it comes, so server-sent events reach
// the client event by event), then trailers. A response body stream is
// closed in every case, which hands a backend connection back or releases
// what the body held.
func (st *stream) writeResponse(resp *fasthttp.Response) {
	defer resp.CloseBodyStream() //nolint:errcheck // nothing to tell the client now
	status := resp.StatusCode()
	if status < 200 {
		// A final answer cannot be informational; the gateway relays
		// 101 only to a WebSocket upgrade, which HTTP/2 cannot carry.
		status = http.StatusBadGateway
		resp.ResetBody()
	}
	trailers := false
	for range resp.Header.Trailers() {
		trailers = true
		break
	}
	withBody := !st.head && bodyAllowed(status)
	var body []byte
	stream := resp.IsBodyStream()
	if !stream {
		body = resp.Body()
	}
	// The answer ends with its HEADERS when it has no body and no
	// trailers, or is a HEAD's.
	endInHead := !withBody || (!stream && len(body) == 0 && !trailers)
	n := len(body)
	if st.head && n == 0 {
		// A HEAD's answer tells the length a GET's would have.
		n = max(resp.Header.ContentLength(), 0)
	}
	if !st.writeHead(status, resp, stream, trailers, n, endInHead) || endInHead {
		return
	}
	if stream {
		if !st.streamBody(resp, !trailers) {
			return
		}
	} else if !st.writeData(body, !trailers) {
		return
	}
	if trailers {
		st.writeTrailers(resp)
	}
}

// writeHead frames the answer's HEADERS; false if the stream is gone.
func (st *stream) writeHead(status int, resp *fasthttp.Response, stream, trailers bool, n int, end bool) bool {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.room() || !st.writable() { // room may wait: look at the stream after
		return false
	}
	c.hbuf.Reset()
	c.field(":status", c.hdr.status(status))
	for k, v := range resp.Header.All() {
		if connectionSpecific(k) || bytes.EqualFold(k, strContentLength) || trailers && isTrailer(&resp.Header, k) {
			continue
		}
		name, value := c.hdr.name(k), c.hdr.value(v)
		if name == "" || value == invalidValue {
			continue // not a valid HTTP/2 field: dropped, as x/net's server does
		}
		c.field(name, value)
	}
	// The length: a body written whole has its own; a stream has the
	// one it declared (ContentLength < 0: unknown, sent as DATA frames
	// until END_STREAM). A HEAD's answer tells what a GET's would be.
	if !stream && bodyAllowed(status) {
		c.field("content-length", c.hdr.length(n))
	} else if cl := resp.Header.ContentLength(); stream && cl >= 0 {
		c.field("content-length", c.hdr.length(cl))
	}
	if len(resp.Header.Peek(fasthttp.HeaderDate)) == 0 {
		c.field("date", serverDate())
	}
	c.writeBlock(st.id, end)
	if end {
		st.ended()
	}
	return true
}

// writeTrailers frames the trailers as the stream's last HEADERS.
func (st *stream) writeTrailers(resp *fasthttp.Response) {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.room() || !st.writable() { // room may wait: look at the stream after
		return
	}
	c.hbuf.Reset()
	for name := range resp.Header.Trailers() {
		if v := resp.Header.PeekBytes(name); len(v) > 0 {
			if n, v := c.hdr.name(name), c.hdr.value(v); n != "" && v != invalidValue {
				c.field(n, v)
			}
		}
	}
	c.writeBlock(st.id, true)
	st.ended()
}

// field encodes one header field. c.mu held.
func (c *conn) field(name, value string) {
	_ = c.enc.WriteField(hpack.HeaderField{Name: name, Value: value})
}

// writeBlock frames the encoded header block as HEADERS and as many
// CONTINUATION frames as the client's frame size needs. c.mu held.
func (c *conn) writeBlock(id uint32, end bool) {
	block := c.hbuf.Bytes()
	max := int(c.maxFrame)
	first := block[:min(len(block), max)]
	block = block[len(first):]
	_ = c.wfr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first, EndStream: end, EndHeaders: len(block) == 0})
	for len(block) > 0 {
		frag := block[:min(len(block), max)]
		block = block[len(frag):]
		_ = c.wfr.WriteContinuation(id, len(block) == 0, frag)
	}
	c.kick()
}

// writable reports whether frames may still go on st. c.mu held.
func (st *stream) writable() bool { return !st.reset && !st.c.closed }

// ended records our END_STREAM: the stream closes, or, if the client is
// still sending a body nobody will read, is reset with NO_ERROR (RFC
// 9113 §8.1). c.mu held.
func (st *stream) ended() {
	st.sentEnd = true
	if st.bodyDone {
		st.c.closeStream(st, false)
		return
	}
	st.c.resetStream(st.id, http2.ErrCodeNo)
}

// writeData frames p as DATA within the flow-control windows, waiting for
// them (at most until WriteTimeout from the request's start); end sets
// END_STREAM on the last frame. False if the stream is gone.
func (st *stream) writeData(p []byte, end bool) bool {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	deadline := st.start.Add(c.s.opts.WriteTimeout)
	for {
		for st.writable() && (len(p) > 0 && (st.sendWindow <= 0 || c.sendWindow <= 0) || len(c.out.buf) >= maxPending) {
			if !waitUntil(&c.mu, &c.cond, deadline) {
				c.resetStream(st.id, http2.ErrCodeCancel)
				return false
			}
		}
		if !st.writable() {
			return false
		}
		n := min(len(p), int(st.sendWindow), int(c.sendWindow), int(c.maxFrame))
		last := n == len(p)
		c.out.dataFrame(st.id, end && last, p[:n])
		st.sendWindow -= int32(n)
		c.sendWindow -= int32(n)
		c.kick()
		p = p[n:]
		if last {
			if end {
				st.ended()
			}
			return true
		}
	}
}

// streamBody copies a body stream to the client as it comes: each read
// is framed at once. It stops at the first failed write (the client
// reset the stream or went away); a read error (io.EOF, or a backend
// that failed mid-body) ends the stream.
func (st *stream) streamBody(resp *fasthttp.Response, end bool) bool {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	body := resp.BodyStream()
	for {
		n, err := body.Read(buf)
		if n > 0 && !st.writeData(buf[:n], false) {
			return false
		}
		if err != nil {
			if end {
				return st.writeData(nil, true)
			}
			return true
		}
	}
}

// bodyAllowed reports whether a response with status carries a body.
func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified
}

var strContentLength = []byte("Content-Length")

// connSpecific are the fields HTTP/2 never carries (RFC 9113 §8.2.2),
// and Trailer, which is announced by the trailers themselves.
var connSpecific = [][]byte{
	[]byte("Connection"), []byte("Keep-Alive"), []byte("Proxy-Connection"),
	[]byte("Transfer-Encoding"), []byte("Upgrade"), []byte("TE"), []byte("Trailer"),
}

func connectionSpecific(k []byte) bool {
	for _, c := range connSpecific {
		if bytes.EqualFold(k, c) {
			return true
		}
	}
	return false
}

// isTrailer reports whether k is one of the response's announced trailers.
func isTrailer(h *fasthttp.ResponseHeader, k []byte) bool {
	for name := range h.Trailers() {
		if bytes.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// serverDate is the Date field of answers without one (as HTTP/1.1
// answers get from fasthttp), formatted once a second.
func serverDate() string {
	now := time.Now().Unix()
	if d := dateCache.Load(); d != nil && d.unix == now {
		return d.s
	}
	d := &cachedDate{unix: now, s: time.Unix(now, 0).UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.s
}

type cachedDate struct {
	unix int64
	s    string
}

var dateCache atomic.Pointer[cachedDate]

// headerStrings turns a response's field names and values into the
// strings HPACK keeps in its table, without a string per field per
// answer: the names lowercased (HTTP/2 wants them so) and both kept in a
// small per-connection table, since a connection's answers repeat the
// same fields and mostly the same values. What it keeps is bounded like
// the encoder's own table (a full one starts over); a name or value
// that is not valid in HTTP/2 is remembered as such. c.mu held.
type headerStrings struct {
	names  map[string]string
	values map[string]string
	bytes  int // kept in both, roughly
}

// maxInterned bounds what headerStrings keeps (the size of the HPACK
// table whose strings it mostly shares) and internOnly the longest
// value it keeps: a longer one is a string of its own each time.
const (
	maxInterned = 4096
	internOnly  = 256
)

// invalidValue stands for a field value HTTP/2 cannot carry.
const invalidValue = "\x00invalid"

func (h *headerStrings) init() {
	h.names = make(map[string]string)
	h.values = make(map[string]string)
}

func (h *headerStrings) room(n int) {
	if h.bytes+n > maxInterned {
		clear(h.names)
		clear(h.values)
		h.bytes = 0
	}
	h.bytes += n
}

// name is k lowercased, or "" if k is not a valid field name.
func (h *headerStrings) name(k []byte) string {
	if s, ok := h.names[string(k)]; ok {
		return s
	}
	s := string(bytes.ToLower(k))
	if !httpguts.ValidHeaderFieldName(s) {
		s = ""
	}
	h.room(2*len(k) + 32)
	h.names[string(k)] = s
	return s
}

// value is v as a string, or invalidValue.
func (h *headerStrings) value(v []byte) string {
	if s, ok := h.values[string(v)]; ok {
		return s
	}
	s := string(v)
	if !httpguts.ValidHeaderFieldValue(s) {
		s = invalidValue
	}
	if len(v) <= internOnly {
		h.room(len(v) + 32)
		h.values[string(v)] = s
	}
	return s
}

func (h *headerStrings) status(code int) string {
	if code == 200 {
		return "200"
	}
	var b [8]byte
	return h.value(strconv.AppendInt(b[:0], int64(code), 10))
}

func (h *headerStrings) length(n int) string {
	var b [20]byte
	return h.value(strconv.AppendInt(b[:0], int64(n), 10))
}
