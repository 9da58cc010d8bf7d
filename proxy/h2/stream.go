package h2

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
)

// streams is the http.Handler of one connection: each stream becomes a
// fasthttp.RequestCtx for the server's handler.
type streams struct {
	s    *Server
	peer net.Conn // the connection's addresses and TLS state, for every stream
}

var ctxPool = sync.Pool{New: func() any { return new(fasthttp.RequestCtx) }}

// ServeHTTP runs the fasthttp handler for one stream and writes its
// response.
func (st *streams) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := ctxPool.Get().(*fasthttp.RequestCtx)
	ctx.Init2(st.peer, st.s.fastLog, false)
	fillRequest(&ctx.Request, r)
	st.s.handler(ctx)
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
	writeResponse(w, resp, r.Method == http.MethodHead)
	if reuse {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctxPool.Put(ctx)
	}
}

// notHijackable is the answer to a handler that hijacked an h2 stream.
func notHijackable() *fasthttp.Response {
	resp := new(fasthttp.Response)
	resp.SetStatusCode(fasthttp.StatusNotImplemented)
	resp.Header.SetContentType("application/json")
	resp.SetBodyString(`{"error": "connection takeover is not available over HTTP/2"}`)
	return resp
}

// fillRequest converts the stream's request into fasthttp's: the method,
// the target (:path; CONNECT's authority), :authority as Host, the
// header fields, and the body as a stream of its declared length (-1:
// unknown, as a chunked HTTP/1.1 body). The request reaches the handler
// as HTTP/1.1: the semantics are the same (RFC 9110), and the gateway
// answers in its own version anyway.
//
// The library has already refused what HTTP/2 forbids in a request
// (connection-specific fields, TE other than "trailers", uppercase
// names, a malformed :path) and joined split Cookie fields. Host is
// :authority (the library falls back to a Host field without one);
// Content-Length comes with the body; Trailer goes, since a request's
// trailers are never forwarded (the gateway drops them over HTTP/1.1 as
// well). A CONNECT stays in authority form, which the gateway refuses as
// it does over HTTP/1.1; an extended CONNECT (RFC 8441: WebSocket over
// HTTP/2) is only possible when the library is told to offer it
// (GODEBUG=http2xconnect=1) and is turned into the same plain CONNECT.
func fillRequest(req *fasthttp.Request, r *http.Request) {
	h := &req.Header
	h.SetMethod(r.Method)
	h.SetProtocol("HTTP/1.1")
	h.SetRequestURI(r.RequestURI)
	if r.Method == http.MethodConnect {
		h.SetRequestURI(r.Host)
	}
	h.SetHost(r.Host)
	for k, vs := range r.Header {
		switch k {
		case "Host", "Content-Length", "Trailer", ":protocol":
			continue
		case "Cookie":
			h.Set(k, strings.Join(vs, "; "))
			continue
		}
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if r.ContentLength != 0 {
		req.SetBodyStream(body{r.Body}, int(r.ContentLength))
	}
}

// body is a stream's request body as the handler reads it. It hides the
// body's Close: fasthttp closes a request's body stream whenever the
// stream is replaced (the gateway wraps it to cap and watch it), and a
// closed HTTP/2 body refuses every later read. The HTTP/2 server closes
// the body itself once the handler has returned.
type body struct{ r io.Reader }

func (b body) Read(p []byte) (int, error) { return b.r.Read(p) }
