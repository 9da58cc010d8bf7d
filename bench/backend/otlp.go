package main

import (
	"sync/atomic"

	"github.com/valyala/fasthttp"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpSink is the OTLP/HTTP trace receiver of the tracing benchmark
// (bench/configs/tracing.yaml exports to the backend itself): it decodes
// each export, counts its spans and answers as a collector does. GET
// /v1/traces reports the counts.
type otlpSink struct {
	exports atomic.Uint64
	spans   atomic.Uint64
}

func (s *otlpSink) serve(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		writeJSON(ctx, fasthttp.StatusOK, map[string]uint64{"exports": s.exports.Load(), "spans": s.spans.Load()})
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(ctx.PostBody(), &req); err != nil {
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	n := 0
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			n += len(ss.Spans)
		}
	}
	s.exports.Add(1)
	s.spans.Add(uint64(n))
	ctx.SetContentType("application/x-protobuf") // an empty ExportTraceServiceResponse
}
