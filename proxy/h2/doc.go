// Package h2 owns serving HTTP/2 connections through a
// fasthttp.RequestHandler: the gateway's one request path answers h2
// streams exactly as it answers HTTP/1.1 requests.
//
// fasthttp has no HTTP/2 server, so golang.org/x/net/http2 runs each
// connection ([Server.ServeConn]: framing, HPACK, flow control, stream
// limits) and every stream is converted into a pooled fasthttp.RequestCtx
// (method, target, :authority as Host, headers, the client's address and
// TLS state, the body as a stream) for the handler; the handler's response
// goes back as the stream's headers, body (streamed bodies flushed as they
// come) and trailers, less the connection-specific fields HTTP/2 forbids
// (RFC 9113 §8.2.2).
//
// What the library leaves open is closed here: a per-connection cap on
// the client's stream resets per second (rapid reset, CVE-2023-44487) and
// on the CONTINUATION frames of one header block (CVE-2024-27316); either
// ends the connection with GOAWAY ENHANCE_YOUR_CALM ([guardConn]).
//
// HTTP/2 streams run on the library's goroutines (one per stream), so the
// gateway's zero-allocation and no-goroutine-per-request rules hold for
// HTTP/1.1 only; this package keeps what it can pooled (the request
// contexts, the copy buffers) and allocates nothing per connection beyond
// what the library does.
package h2
