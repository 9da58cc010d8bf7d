// Package h2 owns serving HTTP/2 connections through a
// fasthttp.RequestHandler: the gateway's one request path answers h2
// streams exactly as it answers HTTP/1.1 requests.
//
// fasthttp has no HTTP/2 server, and golang.org/x/net/http2's costs
// twice nginx's CPU per request here (a goroutine and an http.Request per
// stream, several goroutine hand-overs per frame, one write per answer),
// so the package runs each connection itself on that library's Framer
// (framing, CONTINUATION assembly, header validation) and HPACK:
//
//   - one reader per connection ([conn.readLoop]) reads and acts on every
//     frame: SETTINGS, PING, WINDOW_UPDATE, RST_STREAM, GOAWAY, the
//     request's HEADERS and DATA, with the stream states, stream IDs and
//     both flow-control windows of RFC 9113;
//   - each stream becomes a pooled fasthttp.RequestCtx (method, target,
//     :authority as Host, the fields, the client's address and TLS state,
//     the body as a stream under the stream's receive window) and runs on
//     a pooled worker goroutine ([workers]), never a goroutine of its own;
//   - the worker frames the handler's answer itself (status and fields
//     less the connection-specific ones of RFC 9113 §8.2.2, the body
//     within the client's windows, a streamed body as it comes, trailers)
//     into the connection's one output buffer, which one flusher per
//     connection ([conn.flushLoop]) writes: the answers of all the streams
//     ready at the time go out in one TLS write.
//
// The bounds are the server's: MaxConcurrentStreams (one more is
// refused), the header list (431, or the connection ended for a field
// longer than it), the receive windows (256 KiB per stream, 1 MiB per
// connection of unread request body), the output buffer (64 KiB per
// connection: a client that does not read stops being read), per-stream
// read and write timeouts, the idle timeout and a graceful GOAWAY at
// Shutdown; handlers still running for streams the client reset count
// towards four times MaxConcurrentStreams, past which the connection ends.
// On top, the flood guard ([guardConn]) caps the client's stream resets
// per second (rapid reset, CVE-2023-44487) and the CONTINUATION frames of
// one header block (CVE-2024-27316); either ends the connection with
// GOAWAY ENHANCE_YOUR_CALM.
//
// Shutdown drains as the HTTP/1.1 server does: a connection that has
// served a stream, or is older than newConnLastCall (5 s, fasthttp's and
// net/http's age before a new connection counts as idle), gets GOAWAY at
// once; a newer one without a stream yet — its client's first request
// may be on its way as the drain begins, and connections whose handshake
// the listener lets finish arrive after it began — gets a last call: its
// first stream is answered in full under a GOAWAY naming it, then the
// connection closes; without a stream, GOAWAY when it reaches that age.
// Shutdown's deadline closes whatever is left.
//
// HTTP/2 is held to its own figures, not to HTTP/1.1's zero-allocation
// rule: a stream allocates its stream record and the strings HPACK
// decodes (about a dozen small objects); the request contexts, workers,
// copy buffers and the response's header strings are reused.
package h2
