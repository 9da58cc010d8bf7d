package proxy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/promcheck"
	"github.com/premier-gateway/premier/internal/wait"
	"github.com/premier-gateway/premier/ui"
)

// TestMetricsEndpointParses serves traffic of every kind through a gateway
// wired with its dashboard as main wires it (two backends, a rate-limited
// rule, a cached rule, a rule on a backend that refuses connections with a
// breaker, an open WebSocket), fetches /metrics over a real socket and
// reads the whole text as a scraper does: it must parse, every family must
// have HELP and its lines together, and every premier family must have
// samples.
func TestMetricsEndpointParses(t *testing.T) {
	up := websocket.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true }}
	backend := func(ctx *fasthttp.RequestCtx) {
		if websocket.FastHTTPIsWebSocketUpgrade(ctx) {
			_ = up.Upgrade(ctx, func(c *websocket.Conn) {
				defer c.Close()
				for {
					mt, msg, err := c.ReadMessage()
					if err != nil || c.WriteMessage(mt, msg) != nil {
						return
					}
				}
			})
			return
		}
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.SetBodyString("ok")
	}
	a, b := startBackend(t, backend), startBackend(t, backend)
	text := fmt.Sprintf(`premier:
  servers: [%q, %q]
  paths:
    - pattern: /limited
      features:
        rate_limit: {quota: 1, duration: 86400, key: global}
    - pattern: "/cached/*"
      features:
        cache: {expire_s: 60}
    - pattern: /failing
      servers: ["http://127.0.0.1:1"]
      features:
        circuit_breaker: {failure_threshold: 1, recovery_timeout: 60}
    - pattern: /ws
`, a, b)
	gw, path := fileGateway(t, text)
	dash := ui.New(gw.DashboardSource(path, 0), ui.Options{Logger: discardLogger()})
	t.Cleanup(dash.Close)
	gw.SetReservedHandler(dash.Handler)
	h := &gwHarness{gw: gw, url: serveGateway(t, gw)}
	h.addr = strings.TrimPrefix(h.url, "http://")

	for _, c := range []struct {
		path   string
		status int
	}{{"/x", 200}, {"/y", 200}, {"/limited", 200}, {"/limited", 429}, {"/cached/p", 200},
		{"/failing", 502}, {"/failing", 503}} {
		if resp, _ := do(t, "GET", h.url+c.path, nil, nil); resp.StatusCode != c.status {
			t.Fatalf("GET %s: %d, want %d", c.path, resp.StatusCode, c.status)
		}
	}
	// The cache stores asynchronously: ask until the first hit (one hit;
	// the misses before it each count and may each fill).
	wait.Until(t, "a cache hit", func() bool {
		resp, _ := do(t, "GET", h.url+"/cached/p", nil, nil)
		return resp.Header.Get("X-Cache") == "HIT"
	})
	ws := mustDial(t, wsURL(h, "/ws"))
	echo(t, ws, websocket.TextMessage, []byte("hi"))

	resp, body := do(t, "GET", h.url+"/__premier/metrics", nil, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	mfs, err := promcheck.Families([]byte(body))
	if err != nil {
		t.Fatalf("exposition invalid: %v\n%s", err, body)
	}
	var premier int
	for name, mf := range mfs {
		if strings.HasPrefix(name, "premier_") {
			premier++
			if len(mf.Metric) == 0 {
				t.Errorf("family %s has no samples", name)
			}
		}
	}
	for _, name := range []string{
		"premier_requests_total", "premier_request_duration_seconds", "premier_upstream_request_duration_seconds",
		"premier_ratelimit_decisions_total", "premier_cache_requests_total", "premier_cache_misses_total",
		"premier_cache_fills_total", "premier_websocket_connections", "premier_circuit_state",
		"premier_connections_refused_total", "premier_config_reloads_total", "premier_backend_up",
		"premier_backend_ejected", "premier_backend_ejections_total", "premier_backend_in_flight_requests",
		"premier_backend_requests_total", "premier_backend_failures_total", "premier_build_info",
		"premier_buffered_body_bytes", "premier_http2_floods_total", "premier_gateway_responses_total", "premier_access_log_dropped_total",
		"premier_tracing_spans_dropped_total",
	} {
		if mfs[name] == nil {
			t.Errorf("family %s missing", name)
		}
	}
	if premier != 23 {
		t.Errorf("%d premier families, want 23", premier)
	}
	checkDurationSeries(t, mfs)
	for _, line := range []string{
		`premier_ratelimit_decisions_total{route="/limited",decision="limited"} 1`,
		`premier_cache_requests_total{route="/cached/*",result="hit"} 1`,
		`premier_circuit_state{route="/failing",backend="http://127.0.0.1:1"} 2`,
		`premier_websocket_connections{route="/ws"} 1`,
		`premier_backend_failures_total{backend="http://127.0.0.1:1"} 1`,
	} {
		if !strings.Contains(body, "\n"+line+"\n") {
			t.Errorf("metrics lack %s", line)
		}
	}
	for _, series := range []string{
		`premier_cache_misses_total{route="/cached/*",fwd="uri-miss"} `,
		`premier_cache_fills_total{route="/cached/*",result="stored"} `,
	} {
		if !strings.Contains(body, "\n"+series) || strings.Contains(body, "\n"+series+"0\n") {
			t.Errorf("metrics lack a positive %s", series)
		}
	}
}

// checkDurationSeries: after TestMetricsEndpointParses's traffic, the
// request-duration histograms are split by status class with cumulative
// buckets ending at their count, the upstream histogram counts the
// requests that reached a backend, and the gateway's own answers are
// counted by reason (per process: other tests add to them, so at least).
func checkDurationSeries(t *testing.T, mfs map[string]*dto.MetricFamily) {
	t.Helper()
	counts := map[string]uint64{}
	for _, m := range mfs["premier_request_duration_seconds"].GetMetric() {
		h := m.GetHistogram()
		var prev uint64
		for _, b := range h.GetBucket() {
			if b.GetCumulativeCount() < prev {
				t.Errorf("%v: buckets not cumulative", m.GetLabel())
			}
			prev = b.GetCumulativeCount()
		}
		if prev > h.GetSampleCount() || h.GetSampleSum() <= 0 {
			t.Errorf("%v: last bucket %d, count %d, sum %v", m.GetLabel(), prev, h.GetSampleCount(), h.GetSampleSum())
		}
		counts[promLabel(m, "route")+" "+promLabel(m, "code")] = h.GetSampleCount()
	}
	for series, want := range map[string]uint64{"default 2xx": 2, "/limited 2xx": 1, "/limited 4xx": 1, "/failing 5xx": 2} {
		if counts[series] != want {
			t.Errorf("premier_request_duration_seconds %s: count %d, want %d (all: %v)", series, counts[series], want, counts)
		}
	}
	for _, m := range mfs["premier_upstream_request_duration_seconds"].GetMetric() {
		if promLabel(m, "route") == "default" && (m.GetHistogram().GetSampleCount() != 2 || m.GetHistogram().GetSampleSum() <= 0) {
			t.Errorf("upstream duration of default: count %d sum %v, want 2 and > 0", m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum())
		}
	}
	answers := map[string]float64{}
	for _, m := range mfs["premier_gateway_responses_total"].GetMetric() {
		answers[promLabel(m, "reason")] = m.GetCounter().GetValue()
	}
	for _, reason := range []string{"rate_limited", "bad_gateway", "no_backend"} {
		if answers[reason] < 1 {
			t.Errorf("premier_gateway_responses_total{reason=%q} = %v, want at least 1", reason, answers[reason])
		}
	}
	if _, ok := answers["headers_too_large"]; !ok {
		t.Error("a reason never answered is not listed with 0")
	}
}

func promLabel(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
