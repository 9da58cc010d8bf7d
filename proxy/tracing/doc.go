// Package tracing owns W3C Trace Context and the gateway's OpenTelemetry
// traces: reading and writing the traceparent and tracestate headers
// without allocating (a malformed one is recognised and dropped), the head
// sampling decision (parent-based, then the configured ratio) made once per
// request, and the Tracer that exports, over OTLP/HTTP through the
// OpenTelemetry SDK's batch span processor (bounded queue), one server span
// per sampled request with one client span per attempt to a backend.
//
// A request that is not sampled never reaches the SDK: the decision is a
// flag check or one random draw, and nothing is allocated for it. The
// Tracer is owned by whoever creates it (the gateway: started with it,
// replaced on a reload that changes the tracing block, flushed and shut
// down at Close). It knows nothing of fasthttp or the rules: the request
// path hands it plain values.
package tracing
