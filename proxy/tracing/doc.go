// Package tracing owns W3C Trace Context and the gateway's OpenTelemetry
// traces: reading and writing the traceparent and tracestate headers
// without allocating (a malformed one is recognised and dropped), the head
// sampling decision (parent-based, then the configured ratio) made once per
// request, and the Tracer that records and exports, over OTLP/HTTP, one
// server span per sampled request with one client span per attempt to a
// backend.
//
// No SDK span exists on the request path. A sampled request records its
// spans into a fixed-size record in its own memory (Request): IDs minted
// here, times, statuses, and attribute values copied as bytes, cut at
// their bounds; up to MaxAttemptSpans attempt spans, the spans of further
// attempts counted as dropped. At its end the record is copied into a
// bounded lock-free ring (internal/mpsc); a full ring drops the spans and
// counts them (Dropped), never waits. One exporter goroutine per Tracer
// drains the ring every BatchInterval, or when a quarter of it filled,
// turns each record into read-only spans of its own type (spanView) and
// hands them, BatchSize at most per call, to the SDK's OTLP/HTTP
// exporter. A request not sampled costs a flag check or one random draw;
// no request, sampled or not, allocates.
//
// The Tracer is owned by whoever creates it (the gateway: started with
// it, replaced on a reload that changes the tracing block, flushed and
// shut down at Close). It knows nothing of fasthttp or the rules: the
// request path hands it plain values.
package tracing
