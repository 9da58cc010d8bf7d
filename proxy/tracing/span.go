package tracing

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// spanView is one ended span as the OTLP exporter reads it: the exporter
// goroutine builds it from a record, with no SDK span behind it.
//
// It embeds the ReadOnlySpan interface, left nil, as the SDK's own
// tracetest stubs do: that is how a type outside the SDK satisfies the
// interface's unexported method. Every method the exporter calls is
// defined below; one left out would panic on the nil interface, which
// the tests' export through a real OTLP receiver would show.
type spanView struct {
	sdktrace.ReadOnlySpan

	name       string
	sc, parent trace.SpanContext
	kind       trace.SpanKind
	start, end time.Time
	attrs      []attribute.KeyValue // reused between batches
	status     sdktrace.Status
	children   int
	res        *resource.Resource
	scope      instrumentation.Scope
}

func (s *spanView) Name() string                                { return s.name }
func (s *spanView) SpanContext() trace.SpanContext              { return s.sc }
func (s *spanView) Parent() trace.SpanContext                   { return s.parent }
func (s *spanView) SpanKind() trace.SpanKind                    { return s.kind }
func (s *spanView) StartTime() time.Time                        { return s.start }
func (s *spanView) EndTime() time.Time                          { return s.end }
func (s *spanView) Attributes() []attribute.KeyValue            { return s.attrs }
func (s *spanView) Links() []sdktrace.Link                      { return nil }
func (s *spanView) Events() []sdktrace.Event                    { return nil }
func (s *spanView) Status() sdktrace.Status                     { return s.status }
func (s *spanView) InstrumentationScope() instrumentation.Scope { return s.scope }
func (s *spanView) Resource() *resource.Resource                { return s.res }
func (s *spanView) DroppedAttributes() int                      { return 0 }
func (s *spanView) DroppedLinks() int                           { return 0 }
func (s *spanView) DroppedEvents() int                          { return 0 }
func (s *spanView) ChildSpanCount() int                         { return s.children }

// InstrumentationLibrary is the deprecated name of InstrumentationScope,
// still part of the interface.
//
//lint:ignore SA1019 the interface still requires the method
func (s *spanView) InstrumentationLibrary() instrumentation.Library { return s.scope }
