package metrics

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/resilience"
)

// State is what /metrics reports besides the collector's own counters: the
// gateway's state, read by the caller at scrape time.
type State struct {
	Breakers           []Breaker         // every circuit breaker of the running config
	Backends           []lb.BackendStats // every backend of the pool
	ConnectionsRefused uint64            // client connections answered 429 at accept
	HTTP2Floods        uint64            // HTTP/2 connections ended for a rapid-reset or CONTINUATION flood
	Reloads            uint64            // config reloads that took effect
	ReloadFailures     uint64            // config reloads refused
	BufferedBodyBytes  int64             // bytes of bodies held whole now (limits.max_buffered_body_bytes)
	Version            string            // the gateway's version
	AccessLogDropped   uint64            // access log records dropped: the sink could not keep up or failed
	TracingDropped     uint64            // spans not exported: the export queue was full or the export failed
	TLS                *TLS              // the TLS listener's figures; nil without one
	// GatewayAnswers counts the error answers the gateway gave itself
	// (no backend's), by reason, every reason listed.
	GatewayAnswers []Answers
	Splits         []SplitGroup // every traffic-split group of the running config
}

// Answers is how many error answers of one reason the gateway gave.
type Answers struct {
	Reason string
	Count  uint64
}

// promGatewayAnswers writes the gateway's own error answers by reason.
func promGatewayAnswers(w *bufio.Writer, as []Answers) {
	promHeader(w, "premier_gateway_responses_total", "counter", "Error answers (4xx, 5xx) the gateway gave itself instead of a backend's, by reason; counted per process.")
	for _, a := range as {
		promSample(w, "premier_gateway_responses_total", a.Count, "reason", a.Reason)
	}
}

// TLS is what the TLS listener reports: handshakes, failures, and the
// served certificates' remaining validity.
type TLS struct {
	Handshakes []TLSHandshakes // completed, by version and ALPN protocol
	Failures   []TLSFailures   // failed, by reason (a fixed set)
	Expiry     []CertExpiry    // by certificate name
}

// TLSHandshakes counts the completed handshakes of one version ("1.2",
// "1.3") and ALPN protocol ("h1", "h2", "other").
type TLSHandshakes struct {
	Version, ALPN string
	Count         uint64
}

// TLSFailures counts the failed handshakes of one reason.
type TLSFailures struct {
	Reason string
	Count  uint64
}

// CertExpiry is the seconds left before the certificate served for Name
// expires (negative once expired).
type CertExpiry struct {
	Name    string
	Seconds int64
}

// Breaker is one circuit breaker: a rule's breaker for one backend.
type Breaker struct {
	Route   string
	Backend string // backend URL, "app" in plugin mode
	State   resilience.State
}

// WritePrometheus writes the collected metrics and st in the Prometheus
// text format: premier_* names, base units, bounded labels (route pattern,
// method from a fixed set, status code from a fixed set or its class,
// backend URL from the config), each family's HELP, TYPE and samples
// together. Zero series of the per-route families are left out. The Go
// runtime and process families follow.
func (m *Collector) WritePrometheus(out io.Writer, st *State) {
	w := bufio.NewWriter(out)
	defer w.Flush()
	routes := m.all()
	slices.SortFunc(routes, func(a, b *routeMetrics) int { return strings.Compare(a.name, b.name) })

	promHeader(w, "premier_requests_total", "counter", "Requests served, by rule pattern, method and status code.")
	for _, r := range routes {
		for mi := range r.codes {
			for ci := range r.codes[mi] {
				if n := r.codes[mi][ci].Load(); n > 0 {
					promSample(w, "premier_requests_total", n, "route", r.name, "method", methodNames[mi], "code", codeLabels[ci])
				}
			}
		}
	}
	promHeader(w, "premier_request_duration_seconds", "histogram", "Time from routing to the last response byte handed to the server, by rule and status class.")
	for _, r := range routes {
		for c := range r.duration {
			promHistogram(w, "premier_request_duration_seconds", &r.duration[c], r.classNs[c].Load(), "route", r.name, "code", classNames[c])
		}
	}
	promHeader(w, "premier_upstream_request_duration_seconds", "histogram", "Time waiting on the backend, by rule (requests that reached one; all attempts of a retried request).")
	for _, r := range routes {
		promHistogram(w, "premier_upstream_request_duration_seconds", &r.upstream, r.upstreamNs.Load(), "route", r.name)
	}
	promGatewayAnswers(w, st.GatewayAnswers)
	promHeader(w, "premier_ratelimit_decisions_total", "counter", "Rate-limit decisions, by rule and decision.")
	for _, r := range routes {
		for o, d := range limitNames {
			if n := r.limit[o].Load(); d != "" && n > 0 {
				promSample(w, "premier_ratelimit_decisions_total", n, "route", r.name, "decision", d)
			}
		}
	}
	promHeader(w, "premier_cache_requests_total", "counter", "Cache lookups, by rule and result (hit, miss, bypass).")
	for _, r := range routes {
		for o, d := range cacheNames {
			if n := r.cache[o].Load(); d != "" && n > 0 {
				promSample(w, "premier_cache_requests_total", n, "route", r.name, "result", d)
			}
		}
	}
	promHeader(w, "premier_auth_decisions_total", "counter", "Auth decisions, by rule and decision (admitted, unauthorized, forbidden, throttled).")
	for _, r := range routes {
		for o, d := range authNames {
			if n := r.auth[o].Load(); d != "" && n > 0 {
				promSample(w, "premier_auth_decisions_total", n, "route", r.name, "decision", d)
			}
		}
	}
	promHeader(w, "premier_consumer_requests_total", "counter", "Requests admitted by auth, by consumer (at most 1024 names, then \"other\").")
	for _, c := range m.Consumers() {
		promSample(w, "premier_consumer_requests_total", c.Requests, "consumer", c.Consumer)
	}
	promCacheMisses(w, routes)
	promCacheRevalidations(w, routes)
	promHeader(w, "premier_websocket_connections", "gauge", "Open proxied WebSocket connections, by rule.")
	for _, r := range routes {
		if n := r.websockets.Load(); n != 0 {
			promSample(w, "premier_websocket_connections", uint64(max(n, 0)), "route", r.name)
		}
	}
	if len(st.Breakers) > 0 {
		promHeader(w, "premier_circuit_state", "gauge", "Circuit breaker state by rule and backend: 0 closed, 1 half-open, 2 open.")
		for _, b := range st.Breakers {
			promSample(w, "premier_circuit_state", circuitValue(b.State), "route", b.Route, "backend", b.Backend)
		}
	}
	promHeader(w, "premier_connections_refused_total", "counter", "Client connections answered 429 and closed at accept (limits.max_connections_per_ip).")
	promSample(w, "premier_connections_refused_total", st.ConnectionsRefused)
	promHeader(w, "premier_http2_floods_total", "counter", "HTTP/2 connections ended with GOAWAY ENHANCE_YOUR_CALM for a rapid-reset or CONTINUATION flood.")
	promSample(w, "premier_http2_floods_total", st.HTTP2Floods)
	promHeader(w, "premier_config_reloads_total", "counter", "Config reloads, by result.")
	promSample(w, "premier_config_reloads_total", st.Reloads, "result", "success")
	promSample(w, "premier_config_reloads_total", st.ReloadFailures, "result", "failure")
	promHeader(w, "premier_buffered_body_bytes", "gauge", "Bytes of bodies held whole in memory now: response bodies read whole to fill the cache and request bodies kept for replay (bounded by limits.max_buffered_body_bytes).")
	promSample(w, "premier_buffered_body_bytes", uint64(max(st.BufferedBodyBytes, 0)))
	promHeader(w, "premier_access_log_dropped_total", "counter", "Access log records dropped because the log's sink could not keep up (its buffer was full) or failed; requests never wait for the log.")
	promSample(w, "premier_access_log_dropped_total", st.AccessLogDropped)
	promHeader(w, "premier_tracing_spans_dropped_total", "counter", "Sampled spans not exported: the export queue was full, a request made more attempts than it records, or the export failed; requests never wait for the exporter.")
	promSample(w, "premier_tracing_spans_dropped_total", st.TracingDropped)
	promBackends(w, st.Backends)
	promSplits(w, st.Splits)
	if st.TLS != nil {
		promTLS(w, st.TLS)
	}
	promHeader(w, "premier_build_info", "gauge", "The gateway's version.")
	promSample(w, "premier_build_info", 1, "version", st.Version)
	writeProcess(w)
}

// promBackends writes the per-backend families, one family at a time.
func promBackends(w *bufio.Writer, bs []lb.BackendStats) {
	family := func(name, typ, help string, value func(*lb.BackendStats) uint64) {
		promHeader(w, name, typ, help)
		for i := range bs {
			promSample(w, name, value(&bs[i]), "backend", bs[i].URL)
		}
	}
	family("premier_backend_up", "gauge", "1 when the backend is healthy (not ejected by health checks).",
		func(b *lb.BackendStats) uint64 { return boolValue(b.Healthy) })
	family("premier_backend_ejected", "gauge", "1 while passive health (outlier ejection) keeps the backend out of rotation.",
		func(b *lb.BackendStats) uint64 { return boolValue(b.Ejected) })
	family("premier_backend_ejections_total", "counter", "Times passive health (outlier ejection) ejected the backend.",
		func(b *lb.BackendStats) uint64 { return b.Ejections })
	family("premier_backend_in_flight_requests", "gauge", "Requests in flight to the backend.",
		func(b *lb.BackendStats) uint64 { return uint64(max(b.InFlight, 0)) })
	family("premier_backend_requests_total", "counter", "Requests sent to the backend.",
		func(b *lb.BackendStats) uint64 { return b.Requests })
	family("premier_backend_failures_total", "counter", "Backend requests that failed (connection error, timeout, 5xx).",
		func(b *lb.BackendStats) uint64 { return b.Failures })
}

// promTLS writes the TLS listener's families.
func promTLS(w *bufio.Writer, t *TLS) {
	promHeader(w, "premier_tls_handshakes_total", "counter", "TLS handshakes completed, by protocol version and ALPN protocol (h1, h2, other).")
	for _, h := range t.Handshakes {
		promSample(w, "premier_tls_handshakes_total", h.Count, "version", h.Version, "alpn", h.ALPN)
	}
	promHeader(w, "premier_tls_handshake_failures_total", "counter", "TLS handshakes that failed, by reason: timeout, closed, not_tls, unsupported, client_certificate, no_certificate, other.")
	for _, f := range t.Failures {
		promSample(w, "premier_tls_handshake_failures_total", f.Count, "reason", f.Reason)
	}
	if len(t.Expiry) > 0 {
		promHeader(w, "premier_tls_certificate_expiry_seconds", "gauge", "Seconds left before the certificate served for the name expires (negative once expired).")
		for _, e := range t.Expiry {
			w.WriteString("premier_tls_certificate_expiry_seconds")
			promLabels(w, []string{"name", e.Name})
			w.WriteByte(' ')
			w.WriteString(strconv.FormatInt(e.Seconds, 10))
			w.WriteByte('\n')
		}
	}
}

func boolValue(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// circuitValue is the exported number of a breaker state: 0 closed,
// 1 half-open, 2 open (the order of severity, not resilience's own).
func circuitValue(s resilience.State) uint64 {
	switch s {
	case resilience.HalfOpen:
		return 1
	case resilience.Open:
		return 2
	}
	return 0
}

func promHeader(w *bufio.Writer, name, typ, help string) {
	w.WriteString("# HELP ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(help)
	w.WriteString("\n# TYPE ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(typ)
	w.WriteByte('\n')
}

// sample writes `name{k="v",...} value`; labels are key, value pairs.
func promSample(w *bufio.Writer, name string, v uint64, labels ...string) {
	w.WriteString(name)
	promLabels(w, labels)
	w.WriteByte(' ')
	w.WriteString(strconv.FormatUint(v, 10))
	w.WriteByte('\n')
}

func promLabels(w *bufio.Writer, labels []string) {
	if len(labels) == 0 {
		return
	}
	w.WriteByte('{')
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(labels[i])
		w.WriteString(`="`)
		promEscape(w, labels[i+1])
		w.WriteByte('"')
	}
	w.WriteByte('}')
}

// escapeLabel escapes a label value as the text format requires.
func promEscape(w *bufio.Writer, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			w.WriteString(`\\`)
		case '"':
			w.WriteString(`\"`)
		case '\n':
			w.WriteString(`\n`)
		default:
			w.WriteByte(c)
		}
	}
}

// histogram writes one histogram with the 1-2-5 `le` subset; labels are
// its key, value pairs before `le`. An empty histogram is left out.
func promHistogram(w *bufio.Writer, name string, h *[numBuckets]atomic.Uint64, sumNs uint64, labels ...string) {
	var counts [numBuckets]uint64
	var total uint64
	for i := range h {
		counts[i] = h[i].Load()
		total += counts[i]
	}
	if total == 0 {
		return
	}
	var cum uint64
	next := 0
	for _, bi := range promBounds {
		for ; next <= bi; next++ {
			cum += counts[next]
		}
		promSample(w, name+"_bucket", cum, append(labels, "le", strconv.FormatFloat(bucketBounds[bi].Seconds(), 'g', -1, 64))...)
	}
	promSample(w, name+"_bucket", total, append(labels, "le", "+Inf")...)
	w.WriteString(name)
	w.WriteString("_sum")
	promLabels(w, labels)
	w.WriteByte(' ')
	w.WriteString(strconv.FormatFloat(float64(sumNs)/1e9, 'g', -1, 64))
	w.WriteByte('\n')
	promSample(w, name+"_count", total, labels...)
}
