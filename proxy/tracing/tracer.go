package tracing

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Batching of the exported spans: the SDK's batch span processor with its
// usual sizes. The queue is bounded: when the collector cannot keep up,
// spans beyond it are dropped, never waited for.
const (
	QueueSize     = 2048
	BatchSize     = 512
	BatchInterval = 5 * time.Second
	ExportTimeout = 10 * time.Second
)

// Tracer records and exports the spans of sampled requests. A nil Tracer
// records nothing; the gateway keeps propagating trace context without one.
type Tracer struct {
	cfg      Config
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
	// bound is the ratio as a threshold on a 63-bit random number, as the
	// SDK's TraceIDRatioBased sampler compares the trace ID's low bits.
	bound uint64
	all   bool
}

// New starts the exporter and the batch span processor of cfg (which
// must be Enabled). version is the gateway's, the spans' service.version.
func New(cfg Config, version string) (*Tracer, error) {
	endpoint, err := endpointURL(cfg.OTLPEndpoint)
	if err != nil {
		return nil, err
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(endpoint), otlptracehttp.WithTimeout(ExportTimeout)}
	if len(cfg.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(cfg.Headers))
	}
	exp, err := otlptracehttp.New(context.Background(), opts...)
	if err != nil {
		return nil, err
	}
	res := resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(cfg.ServiceName), semconv.ServiceVersion(version))
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(exp,
			sdktrace.WithMaxQueueSize(QueueSize), sdktrace.WithMaxExportBatchSize(BatchSize),
			sdktrace.WithBatchTimeout(BatchInterval), sdktrace.WithExportTimeout(ExportTimeout))),
		sdktrace.WithResource(res),
		// The decision is Decide's, made once before any span exists: the
		// SDK only ever sees the requests already sampled.
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
	)
	t := &Tracer{cfg: cfg, provider: provider, all: cfg.SampleRatio >= 1}
	t.bound = uint64(cfg.SampleRatio * (1 << 63))
	if cfg.SampleRatio >= 1 {
		t.bound = math.MaxUint64
	}
	t.tracer = provider.Tracer("github.com/premier-gateway/premier/proxy/tracing", trace.WithInstrumentationVersion(version))
	return t, nil
}

// LogErrors sends the SDK's own errors (a collector unreachable, an
// export refused, spans dropped) to log instead of the standard logger.
// The SDK has one error handler per process: the last call wins.
func LogErrors(log func(error)) { otel.SetErrorHandler(otel.ErrorHandlerFunc(log)) }

// Config is the block t was built from.
func (t *Tracer) Config() Config { return t.cfg }

// Shutdown exports the spans still queued (within ctx) and stops the
// exporter. Spans ended after it are dropped.
func (t *Tracer) Shutdown(ctx context.Context) error { return t.provider.Shutdown(ctx) }

// Decide is the head sampling decision, parent-based then by ratio: a
// request with a valid traceparent follows its sampled flag; any other is
// sampled with the configured ratio. It does not allocate.
func (t *Tracer) Decide(parent *Parent, hasParent bool) bool {
	if hasParent {
		return parent.Sampled()
	}
	return t.all || rand.Uint64()>>1 < t.bound
}
