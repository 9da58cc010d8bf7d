// Package loadgen is the project's own HTTP/1.1 traffic generator for
// tests and the chaos script: a fixed number of client connections, some
// keeping their connection alive, some opening a new connection for every
// request, sending GET requests as fast as they are answered. It counts
// every request exactly once as answered 2xx, failed (any other status) or
// a connection error (no complete response: the connect, the write or the
// read failed, or timed out), so "0 failed, 0 connection errors" is a
// statement about each request sent, which wrk's socket-error counts are
// not.
package loadgen
