package h2

import (
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
)

// stream is one request and its answer. The reader opens it and feeds
// its body; a worker runs the handler and frames the answer. Fields
// below are guarded by c.mu.
type stream struct {
	c     *conn
	id    uint32
	ctx   *fasthttp.RequestCtx
	head  bool      // a HEAD request: the answer has no body
	start time.Time // the request's headers arrived
	cond  sync.Cond // body data, end of body, reset

	sendWindow int32 // what this stream may still send
	recvWindow int   // what the client may still send on it
	unacked    int   // body bytes read, not yet given back to the client
	body       []byte
	declared   int64 // the request's Content-Length, -1 without
	received   int64
	bodyDone   bool // END_STREAM received
	sentEnd    bool // our END_STREAM sent
	reset      bool // reset by either side, or the connection is gone: no more frames
	closed     bool // off the connection's table
	bad        badRequest
	expect     bool // the client waits for 100 Continue before its body
}

var ctxPool = sync.Pool{New: func() any { return new(fasthttp.RequestCtx) }}

// headers opens a stream (or ends one's body with its trailers). c.mu held.
func (c *conn) headers(f *http2.MetaHeadersFrame) error {
	id := f.StreamID
	if id%2 != 1 {
		return errProtocol
	}
	if st := c.streams[id]; st != nil {
		// Trailers: they end the body and are dropped (the gateway never
		// forwards a request's trailers, over HTTP/1.1 either).
		if st.bodyDone {
			c.resetStream(id, http2.ErrCodeStreamClosed)
			return nil
		}
		if !f.StreamEnded() {
			c.resetStream(id, http2.ErrCodeProtocol)
			return nil
		}
		c.endBody(st)
		return nil
	}
	if id <= c.maxID {
		return errProtocol // streams only go up (RFC 9113 §5.1.1)
	}
	c.maxID = id
	if c.goingAway {
		return nil // after GOAWAY, new streams are ignored (RFC 9113 §6.8)
	}
	if c.lastCall != nil {
		// A draining connection's last call: this stream is its last.
		// GOAWAY once the stream is open (or refused), so that it names
		// the stream and the connection closes after its answer.
		defer c.goAway(http2.ErrCodeNo)
	}
	max := int(c.s.opts.MaxConcurrentStreams)
	if c.open >= max {
		c.resetStream(id, http2.ErrCodeRefusedStream)
		return nil
	}
	if c.running >= 4*max {
		// Streams the client reset still run their handlers; a client
		// that keeps opening and resetting would pile them up.
		return errCalmConn
	}

	method := f.PseudoValue("method")
	path := f.PseudoValue("path")
	scheme := f.PseudoValue("scheme")
	authority := f.PseudoValue("authority")
	if f.PseudoValue("protocol") != "" {
		// Extended CONNECT (RFC 8441) is not offered.
		c.resetStream(id, http2.ErrCodeProtocol)
		return nil
	}
	if method == "CONNECT" {
		if path != "" || scheme != "" || authority == "" {
			c.resetStream(id, http2.ErrCodeProtocol)
			return nil
		}
	} else if method == "" || path == "" || (scheme != "https" && scheme != "http") {
		c.resetStream(id, http2.ErrCodeProtocol)
		return nil
	}

	ctx := ctxPool.Get().(*fasthttp.RequestCtx)
	ctx.Init2(c.peer, c.s.fastLog, false)
	st := &stream{
		c: c, id: id, ctx: ctx, head: method == "HEAD", start: time.Now(),
		sendWindow: c.initialWindow, recvWindow: streamWindow, declared: -1,
	}
	st.cond.L = &c.mu
	bad := fillRequest(&ctx.Request, f, method, path, authority, &st.declared, &st.expect)
	if f.Truncated {
		bad = badHeaderList
	}
	if bad != badNone {
		// Answered without the handler, as x/net's server does: 400 for a
		// field HTTP/2 forbids, 431 over the header list limit.
		st.bad = bad
		ctx.SetStatusCode(bad.status())
	}
	c.streams[id] = st
	c.open++
	c.running++
	if f.StreamEnded() {
		st.bodyDone = true
	} else if bad == badNone && st.declared != 0 {
		ctx.Request.SetBodyStream(bodyReader{st}, int(st.declared))
	}
	c.s.workers.run(st)
	return nil
}

// badRequest is why a stream is answered before its handler runs.
type badRequest int

const (
	badNone       badRequest = iota
	badHeaders               // a connection-specific field, or TE other than trailers: 400
	badHeaderList            // over the header list limit: 431
)

func (b badRequest) status() int {
	if b == badHeaderList {
		return fasthttp.StatusRequestHeaderFieldsTooLarge
	}
	return fasthttp.StatusBadRequest
}

// fillRequest writes the stream's request into fasthttp's: the method,
// the target (:path; CONNECT's authority), :authority as Host (a Host
// field without it), the header fields, and the declared body length.
// The request reaches the handler as HTTP/1.1: the semantics are the
// same (RFC 9110), and the gateway answers in its own version anyway.
// Cookie fields split by the client are joined again (RFC 9113
// §8.2.3); Content-Length goes with the body, Trailer goes (a request's
// trailers are never forwarded). A CONNECT stays in authority form,
// which the gateway refuses as it does over HTTP/1.1.
func fillRequest(req *fasthttp.Request, f *http2.MetaHeadersFrame, method, path, authority string, declared *int64, expect *bool) badRequest {
	h := &req.Header
	h.SetMethod(method)
	h.SetProtocol("HTTP/1.1")
	if method == "CONNECT" {
		h.SetRequestURI(authority)
	} else {
		h.SetRequestURI(path)
	}
	host := authority
	bad := badNone
	for _, hf := range f.RegularFields() {
		switch hf.Name {
		case "host":
			if host == "" {
				host = hf.Value
			}
			continue
		case "content-length":
			if n, err := strconv.ParseInt(hf.Value, 10, 63); err == nil {
				*declared = n
			} else {
				bad = badHeaders
			}
			continue
		case "trailer":
			continue
		case "te":
			if hf.Value != "trailers" {
				bad = badHeaders
			}
		case "expect":
			*expect = strings.EqualFold(hf.Value, "100-continue")
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
			bad = badHeaders
		}
		h.Add(hf.Name, hf.Value)
	}
	h.SetHost(host)
	return bad
}

// data takes a DATA frame's body bytes. c.mu held.
func (c *conn) data(f *http2.DataFrame) error {
	n := int(f.Length) // flow control counts the padding too
	if n > c.recvWindow {
		return errFlow
	}
	c.recvWindow -= n
	st := c.streams[f.StreamID]
	if st == nil || st.bodyDone {
		// A stream closed or reset: its bytes are given back at once.
		c.giveBack(n)
		if st == nil && f.StreamID > c.maxID {
			return errProtocol
		}
		c.resetStream(f.StreamID, http2.ErrCodeStreamClosed)
		return nil
	}
	if n > st.recvWindow {
		c.giveBack(n)
		c.resetStream(st.id, http2.ErrCodeFlowControl)
		return nil
	}
	st.recvWindow -= n
	d := f.Data()
	c.giveBack(n - len(d)) // padding
	st.received += int64(len(d))
	if st.declared >= 0 && st.received > st.declared {
		c.giveBack(len(d))
		c.resetStream(st.id, http2.ErrCodeProtocol)
		return nil
	}
	st.body = append(st.body, d...)
	if f.StreamEnded() {
		c.endBody(st)
	}
	st.cond.Broadcast()
	return nil
}

// endBody marks the request body complete. c.mu held.
func (c *conn) endBody(st *stream) {
	if st.declared >= 0 && st.received != st.declared {
		c.resetStream(st.id, http2.ErrCodeProtocol)
		return
	}
	st.bodyDone = true
	st.cond.Broadcast()
	if st.sentEnd {
		c.closeStream(st, false)
	}
}

// giveBack returns n body bytes to the client's connection window once
// half of it is used. c.mu held.
func (c *conn) giveBack(n int) {
	c.recvUnacked += n
	if c.recvUnacked >= connWindow/2 && !c.closed {
		_ = c.wfr.WriteWindowUpdate(0, uint32(c.recvUnacked))
		c.recvWindow += c.recvUnacked
		c.recvUnacked = 0
		c.kick()
	}
}

// closeStream takes st off the connection: its unread body goes back
// to the connection window, its waits end. reset: no more frames for it.
// c.mu held.
func (c *conn) closeStream(st *stream, reset bool) {
	if reset {
		st.reset = true
		st.cond.Broadcast()
		c.cond.Broadcast()
	}
	if st.closed {
		return
	}
	st.closed = true
	delete(c.streams, st.id)
	c.open--
	if len(st.body) > 0 {
		c.giveBack(len(st.body))
		st.body = nil
	}
	if c.open == 0 {
		c.idleSince = time.Now()
		if c.goingAway {
			c.closeWhenFlushed()
		}
	}
}

// bodyReader is a stream's request body as the handler reads it. Its
// lack of Close is on purpose: fasthttp closes a request's body stream
// whenever the stream is replaced (the gateway wraps it to cap and watch
// it), and the body must outlive that.
type bodyReader struct{ st *stream }

// errBodyReset is a body read on a stream the client reset or a
// connection that ended.
var errBodyReset = io.ErrUnexpectedEOF

func (b bodyReader) Read(p []byte) (int, error) {
	st := b.st
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.expect {
		// The client waits for leave to send its body (RFC 9110
		// §10.1.1): the handler asking for it is that leave.
		st.expect = false
		if len(st.body) == 0 && !st.bodyDone && c.room() && st.writable() {
			c.hbuf.Reset()
			c.field(":status", "100")
			c.writeBlock(st.id, false)
		}
	}
	deadline := st.start.Add(c.s.opts.ReadTimeout)
	for len(st.body) == 0 && !st.bodyDone && !st.reset && !c.closed {
		if !waitUntil(&c.mu, &st.cond, deadline) {
			c.resetStream(st.id, http2.ErrCodeCancel)
			return 0, os.ErrDeadlineExceeded
		}
	}
	if len(st.body) == 0 {
		if st.bodyDone && !st.reset {
			return 0, io.EOF
		}
		return 0, errBodyReset
	}
	n := copy(p, st.body)
	st.body = st.body[n:]
	if len(st.body) == 0 {
		st.body = st.body[:0:0] // let a large buffer go
	}
	// Give the bytes back to the stream once half its window is read.
	st.unacked += n
	if st.unacked >= streamWindow/2 && !st.bodyDone && !st.reset && !c.closed {
		_ = c.wfr.WriteWindowUpdate(st.id, uint32(st.unacked))
		st.recvWindow += st.unacked
		st.unacked = 0
		c.kick()
	}
	c.giveBack(n)
	return n, nil
}

// waitUntil waits on cond until it is signalled or deadline passes;
// false once the deadline has passed. mu (cond's lock) is held.
func waitUntil(mu *sync.Mutex, cond *sync.Cond, deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	t := time.AfterFunc(d, func() {
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	})
	cond.Wait()
	t.Stop()
	return true
}
