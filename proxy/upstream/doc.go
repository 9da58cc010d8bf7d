// Package upstream owns the gateway's transport to its backends: sending
// a request and reading the answer. [RoundTrip] does one exchange over a
// fasthttp.HostClient's keep-alive pool with the request's deadlines,
// reading a small body whole and streaming any other without allocating;
// [PipeTransport] pipelines idempotent requests over a few connections per
// backend; [Dial] opens backend connections watched by the gateway's
// watchdog, which on Unix send each request together with the wait for
// its answer.
//
// It knows nothing of routes, config or metrics: the request path decides
// which backend to try and what a failure means; this package only moves
// bytes and reports errors ([IsTimeout] tells the timeouts apart).
package upstream
