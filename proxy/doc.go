// Package proxy owns Premier's request path: compiling a configuration
// loaded by package proxy/config into an immutable route table, the
// fasthttp server and its limits, path matching through package route,
// the per-route plan (timeout, monitoring, and the features of the leaf
// packages), forwarding to backends through lb, the
// gateway's own error responses, the reserved dashboard prefix, hot reload
// and plugin mode (policies in front of an in-process handler).
//
// The leaves (limiter, cache, resilience, lb) know nothing of YAML paths or
// routes; this package composes them.
package proxy
