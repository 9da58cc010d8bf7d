package tracing

import (
	"bytes"
	"net/netip"
	"sync"
	"time"
)

// Request is one request's spans, kept in the request's scratch memory:
// while sampled, it holds a fixed-size record taken from a pool (Start)
// and handed to the Tracer's exporter at End. Its zero value records
// nothing (a request not sampled, or no Tracer): every method is then a
// nil check. Nothing it does allocates once the pool holds records.
type Request struct {
	t    *Tracer // nil: not recording
	rec  *record
	open bool // the last of rec.attempts is in progress
}

// records are the records of the requests being recorded: a pool, so a
// request not sampled carries none (a record is about 5.5 KiB) and the
// memory follows the sampled requests in flight, not all of them.
var records = sync.Pool{New: func() any { return new(record) }}

// Recording reports whether the request is sampled and has its span.
func (r *Request) Recording() bool { return r.t != nil }

// Reset forgets the previous request's spans.
func (r *Request) Reset() { r.t, r.open = nil, false }

// Server describes the request for its server span, as the HTTP semantic
// conventions name its attributes. Strings are kept as they are (they
// must not change: constants, the configuration's); bytes are copied.
type Server struct {
	Method    []byte
	Route     string // the rule's pattern; "" for a request no rule matched
	Path      []byte
	Scheme    string // "http" or "https"
	Host      []byte
	Client    netip.Addr // the client address
	Proto     string     // "1.0", "1.1", "2"
	UserAgent []byte
	Start     time.Time
}

// Start begins the server span of a sampled request (Decide said so) as
// a child of parent when hasParent, with its tracestate; otherwise the
// span starts a new trace.
func (t *Tracer) Start(r *Request, parent *Parent, hasParent bool, tracestate []byte, s *Server) {
	if r.rec == nil {
		r.rec = records.Get().(*record)
	}
	r.t, r.open = t, false
	h := &r.rec.head
	h.n, h.nAttempts, h.text = 0, 0, [numText][2]uint16{}
	if hasParent {
		h.traceID, h.parentID, h.parentFlags = parent.TraceID, parent.SpanID, parent.Flags
		h.setText(&r.rec.text, textTracestate, tracestate)
	} else {
		h.traceID, h.parentID, h.parentFlags = newTraceID(), [8]byte{}, 0
	}
	h.flags = h.parentFlags | 1 // sampled
	h.spanID = newSpanID()
	h.method, h.route, h.scheme, h.proto = semconvMethod(s.Method), s.Route, s.Scheme, s.Proto
	h.client = s.Client
	h.start, h.end, h.status = s.Start.UnixNano(), 0, 0
	h.setText(&r.rec.text, textPath, s.Path)
	h.setText(&r.rec.text, textHost, hostOnly(s.Host))
	h.setText(&r.rec.text, textUserAgent, s.UserAgent)
}

// End ends the server span with the answer's status (an error for 5xx,
// the gateway's own answers included: a server span's 4xx are the
// client's) and hands the request's spans to the exporter.
func (r *Request) End(status int, end time.Time) {
	if r.t == nil {
		return
	}
	r.endAttempt(0, "", end) // a panic can leave one open
	r.rec.status, r.rec.end = int32(status), end.UnixNano()
	r.t.commit(r.rec)
	records.Put(r.rec)
	r.t, r.rec = nil, nil
}

// Attempt describes one attempt to a backend for its client span.
type Attempt struct {
	Method  []byte
	Address string // the backend's host
	Port    int
	Scheme  string // "http://" or "https://"
	Addr    string // the backend's host:port, as its URL writes it
	Target  []byte // the path sent (no query: it may hold credentials)
	Resend  int    // 0 for the first attempt, then 1, 2…
	Start   time.Time
}

// StartAttempt begins the client span of one attempt, a child of the
// request's span, and returns the traceparent the backend gets: its
// parent is this attempt. Attempts beyond MaxAttemptSpans get a
// traceparent of their own too, but their spans are counted as dropped.
func (r *Request) StartAttempt(a *Attempt, dst []byte) []byte {
	if r.t == nil {
		return dst
	}
	r.endAttempt(0, "", a.Start)
	id := newSpanID()
	h := &r.rec.head
	if int(h.nAttempts) == MaxAttemptSpans {
		r.t.dropped.Add(1)
		return AppendTraceparent(dst, h.traceID, id, h.flags)
	}
	at := &h.attempts[h.nAttempts]
	*at = attempt{spanID: id, start: a.Start.UnixNano(), resend: int32(a.Resend), port: int32(a.Port),
		method: semconvMethod(a.Method), address: a.Address, scheme: a.Scheme, addr: a.Addr}
	if prev := int(h.nAttempts) - 1; prev >= 0 && bytes.Equal(r.rec.get(h.attempts[prev].target), a.Target) {
		at.target = h.attempts[prev].target // a retry sends the same path: kept once
	} else {
		at.target = h.appendText(&r.rec.text, a.Target, targetMax)
	}
	h.nAttempts++
	r.open = true
	return AppendTraceparent(dst, h.traceID, id, h.flags)
}

// EndAttempt ends the attempt's span with the backend's status, or with
// errType (a short failure class: "timeout", "connection") when it gave
// none.
func (r *Request) EndAttempt(status int, errType string, end time.Time) {
	r.endAttempt(status, errType, end)
}

func (r *Request) endAttempt(status int, errType string, end time.Time) {
	if !r.open {
		return
	}
	at := &r.rec.attempts[r.rec.nAttempts-1]
	at.status, at.errType, at.end = int32(status), errType, end.UnixNano()
	r.open = false
}

// semconvMethod is the method as the conventions want it: a known one as
// sent, any other "_OTHER". The results are constants: nothing is
// allocated for them.
func semconvMethod(m []byte) string {
	switch string(m) {
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "CONNECT":
		return "CONNECT"
	case "OPTIONS":
		return "OPTIONS"
	case "TRACE":
		return "TRACE"
	case "PATCH":
		return "PATCH"
	case "QUERY":
		return "QUERY"
	}
	return "_OTHER"
}

// hostOnly drops a port from a Host value.
func hostOnly(h []byte) []byte {
	if len(h) < 2 {
		return h
	}
	for j := len(h) - 1; j >= 0; j-- {
		switch h[j] {
		case ':':
			return h[:j]
		case ']':
			return h
		}
	}
	return h
}
