package tracing

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/premier-gateway/premier/internal/mpsc"
)

// Queueing and batching of the exported spans. The queue is bounded:
// QueueSize requests' spans (each a server span and up to
// MaxAttemptSpans attempt spans) wait for the exporter at most; when the
// collector cannot keep up, the spans of the requests beyond it are
// dropped and counted (Dropped), never waited for.
const (
	QueueSize     = 1024
	BatchSize     = 512 // spans per export call, at most
	BatchInterval = 5 * time.Second
	ExportTimeout = 10 * time.Second
)

// scopeName is the instrumentation scope of the spans.
const scopeName = "github.com/premier-gateway/premier/proxy/tracing"

// Tracer records the spans of sampled requests and exports them: the
// request path copies each request's spans into a ring (Request.End),
// one exporter goroutine drains it. A nil Tracer records nothing; the
// gateway keeps propagating trace context without one.
type Tracer struct {
	cfg Config
	exp sdktrace.SpanExporter // the SDK's OTLP/HTTP exporter
	// bound is the ratio as a threshold on a 63-bit random number, as the
	// SDK's TraceIDRatioBased sampler compares the trace ID's low bits.
	bound uint64
	all   bool

	res   *resource.Resource
	scope instrumentation.Scope

	ring    *mpsc.Ring[record]
	dropped atomic.Uint64
	closed  atomic.Bool   // Shutdown began: ended spans are dropped
	wake    chan struct{} // capacity 1: a quarter of the ring filled
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	// ctx bounds the exports; Shutdown cancels it when its own context
	// ends before the last batch went out.
	ctx    context.Context
	cancel context.CancelFunc
}

// New starts the OTLP exporter of cfg (which must be Enabled) and the
// goroutine that feeds it. version is the gateway's, the spans'
// service.version and their instrumentation scope's version.
func New(cfg Config, version string) (*Tracer, error) {
	return newTracer(cfg, version, QueueSize)
}

func newTracer(cfg Config, version string, queue int) (*Tracer, error) {
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
	// As the SDK's TracerProvider builds it: OTEL_RESOURCE_ATTRIBUTES and
	// OTEL_SERVICE_NAME from the environment, then the gateway's own.
	res, err := resource.Merge(resource.Environment(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(cfg.ServiceName), semconv.ServiceVersion(version)))
	if err != nil {
		otel.Handle(err)
	}
	t := &Tracer{cfg: cfg, exp: exp, all: cfg.SampleRatio >= 1, res: res,
		scope: instrumentation.Scope{Name: scopeName, Version: version},
		ring:  mpsc.New[record](queue), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	t.bound = uint64(cfg.SampleRatio * (1 << 63))
	if cfg.SampleRatio >= 1 {
		t.bound = math.MaxUint64
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	go t.run()
	return t, nil
}

// LogErrors sends export errors (a collector unreachable, an export
// refused) to log instead of the standard logger: the Tracer reports its
// failed exports to the OpenTelemetry error handler, as the SDK's own
// code does. There is one handler per process: the last call wins.
func LogErrors(log func(error)) { otel.SetErrorHandler(otel.ErrorHandlerFunc(log)) }

// Config is the block t was built from.
func (t *Tracer) Config() Config { return t.cfg }

// Dropped is how many spans were not exported: the queue was full when
// their request ended, the request had more attempts than
// MaxAttemptSpans, or the export failed.
func (t *Tracer) Dropped() uint64 { return t.dropped.Load() }

// commit copies a request's record into the ring for the exporter, or
// drops and counts its spans when the ring is full or t is shut down.
func (t *Tracer) commit(r *record) {
	if t.closed.Load() {
		t.dropped.Add(1 + uint64(r.nAttempts))
		return
	}
	slot, pos := t.ring.Claim()
	if slot == nil {
		t.dropped.Add(1 + uint64(r.nAttempts))
		return
	}
	slot.copyFrom(r)
	if t.ring.Publish(pos) {
		select {
		case t.wake <- struct{}{}:
		default: // already signalled
		}
	}
}

// Shutdown exports the spans still queued (within ctx) and stops the
// exporter goroutine and the exporter. Spans ended after it are dropped.
// Calls after the first return nil.
func (t *Tracer) Shutdown(ctx context.Context) error {
	var err error
	t.once.Do(func() {
		t.closed.Store(true)
		close(t.stop)
		select {
		case <-t.done:
		case <-ctx.Done():
			t.cancel() // the export in progress ends, the rest fail at once
			<-t.done
			err = ctx.Err()
		}
		t.cancel()
		if e := t.exp.Shutdown(ctx); e != nil && !errors.Is(e, ctx.Err()) {
			err = errors.Join(err, e)
		}
	})
	return err
}

// Decide is the head sampling decision, parent-based then by ratio: a
// request with a valid traceparent follows its sampled flag; any other is
// sampled with the configured ratio. It does not allocate.
func (t *Tracer) Decide(parent *Parent, hasParent bool) bool {
	if hasParent {
		return parent.Sampled()
	}
	return t.all || rand.Uint64()>>1 < t.bound
}
