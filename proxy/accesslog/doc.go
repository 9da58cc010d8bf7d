// Package accesslog owns the access log: one line per finished request,
// written off the request path.
//
// The request path claims a Record in a bounded lock-free ring (Begin),
// copies the request's fields into it (fixed size: nothing is allocated or
// retained) and publishes it (Commit). One writer goroutine per Log drains
// the ring, formats each record (JSON, nginx's combined format or a
// template of {variables}) and writes the lines to stdout, stderr or a
// file. When the sink cannot keep up the ring fills and Begin returns nil:
// the record is dropped and counted (Dropped), and no request ever waits
// for the log. Reopen closes and reopens a file (after logrotate moved
// it); Close flushes what the ring holds and stops the writer.
//
// Secrets never reach a line: the record has no place for Authorization or
// cookies, and the values of the query parameters named secret (api_key,
// an auth query parameter) are replaced when the line is formatted.
//
// It knows nothing of the gateway's configuration or request path.
package accesslog
