package otlptest

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one received span with the resource's service.name and
// service.version and its instrumentation scope.
type Span struct {
	Service, ServiceVersion string
	Scope                   *commonpb.InstrumentationScope
	*tracepb.Span
}

// Receiver is an OTLP/HTTP endpoint serving POST /v1/traces.
type Receiver struct {
	URL string // http://127.0.0.1:PORT (no path: the gateway adds /v1/traces)

	mu      sync.Mutex
	spans   []Span
	headers []http.Header
	srv     *http.Server

	// hold, when set, is what export requests wait on (Hold); held is
	// closed when the first one waits.
	hold     chan struct{}
	held     chan struct{}
	heldOnce sync.Once
	release  sync.Once
}

// Start serves a receiver until the test ends.
func Start(t testing.TB) *Receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Receiver{URL: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.export)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go r.srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() {
		r.Release()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.srv.Shutdown(ctx)
	})
	return r
}

func (r *Receiver) export(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<20))
	var msg coltrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &msg)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.headers = append(r.headers, req.Header.Clone())
	for _, rs := range msg.ResourceSpans {
		service, version := "", ""
		for _, kv := range rs.GetResource().GetAttributes() {
			switch kv.Key {
			case "service.name":
				service = kv.GetValue().GetStringValue()
			case "service.version":
				version = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				r.spans = append(r.spans, Span{Service: service, ServiceVersion: version, Scope: ss.Scope, Span: s})
			}
		}
	}
	hold := r.hold
	r.mu.Unlock()
	if hold != nil {
		r.heldOnce.Do(func() { close(r.held) })
		<-hold
	}
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// Hold makes the receiver take each later export request whole (its
// spans count as received) and then leave it unanswered until Release: the
// sender's exporter waits as on a collector that cannot keep up. The
// channel returned is closed once a request waits.
func (r *Receiver) Hold() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hold, r.held = make(chan struct{}), make(chan struct{})
	return r.held
}

// Release answers the requests Hold kept waiting, and every later one at
// once. It may be called more than once.
func (r *Receiver) Release() {
	r.mu.Lock()
	hold := r.hold
	r.mu.Unlock()
	if hold != nil {
		r.release.Do(func() { close(hold) })
	}
}

// Spans returns the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Headers returns the HTTP headers of each export request received.
func (r *Receiver) Headers() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.headers...)
}

// Attr returns the value of a span's attribute key (a string, an int64
// or a bool, the types the gateway writes), and whether it is there.
func Attr(s *tracepb.Span, key string) (any, bool) {
	for _, kv := range s.GetAttributes() {
		if kv.Key != key {
			continue
		}
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			return v.StringValue, true
		case *commonpb.AnyValue_IntValue:
			return v.IntValue, true
		case *commonpb.AnyValue_BoolValue:
			return v.BoolValue, true
		}
		return kv.GetValue().String(), true
	}
	return nil, false
}
