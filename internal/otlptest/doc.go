// Package otlptest is a test helper: a real OTLP/HTTP trace receiver on a
// loopback port that decodes each export request (protobuf) with the
// OpenTelemetry protocol's own types and keeps the spans, so tests see
// exactly what a collector would.
package otlptest
