package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/cache"
	"github.com/premier-gateway/premier/internal/promcheck"
	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/resilience"
)

// TestPrometheusExposition writes every family with samples and reads the
// output back as a scraper does: it parses, every family has HELP, each
// family's lines are together, and the values are where they belong.
func TestPrometheusExposition(t *testing.T) {
	var m Collector
	for i, c := range []CacheOutcome{CacheNone, CacheHit, CacheMiss, CacheBypass} {
		o := obs("/api/*", 200+i*100, time.Millisecond, 800*time.Microsecond, t0)
		o.Cache, o.Miss = c, cache.MissResult{Fwd: cache.FwdURIMiss, Reason: cache.Reason(i)}
		o.Limit = LimitOutcome(i)
		m.Observe(o)
	}
	m.WebSocketOpened("/ws")
	st := &State{
		Breakers: []Breaker{{Route: "/api/*", Backend: "http://a", State: resilience.Open},
			{Route: "/api/*", Backend: "http://b", State: resilience.HalfOpen}},
		Backends: []lb.BackendStats{{URL: "http://a", Requests: 7, Failures: 2, InFlight: 1, Ejected: true, Ejections: 3},
			{URL: "http://b", Requests: 5, Healthy: true}},
		ConnectionsRefused: 4, HTTP2Floods: 3, Reloads: 2, ReloadFailures: 1, Version: "1.2.3",
	}
	var buf bytes.Buffer
	m.WritePrometheus(&buf, st)
	mfs, err := promcheck.Families(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	for _, name := range []string{
		"premier_requests_total", "premier_request_duration_seconds", "premier_upstream_request_duration_seconds",
		"premier_ratelimit_decisions_total", "premier_cache_requests_total", "premier_cache_misses_total",
		"premier_cache_fills_total", "premier_websocket_connections", "premier_circuit_state",
		"premier_connections_refused_total", "premier_http2_floods_total", "premier_config_reloads_total", "premier_backend_up",
		"premier_backend_ejected", "premier_backend_ejections_total", "premier_backend_in_flight_requests",
		"premier_backend_requests_total", "premier_backend_failures_total", "premier_build_info",
		"process_resident_memory_bytes", "go_goroutines",
	} {
		if mf := mfs[name]; mf == nil || len(mf.Metric) == 0 {
			t.Errorf("family %s missing or without samples", name)
		}
	}
	for _, line := range []string{
		`premier_circuit_state{route="/api/*",backend="http://a"} 2`,
		`premier_circuit_state{route="/api/*",backend="http://b"} 1`,
		`premier_backend_ejected{backend="http://a"} 1`,
		`premier_backend_ejected{backend="http://b"} 0`,
		`premier_backend_ejections_total{backend="http://a"} 3`,
		`premier_backend_up{backend="http://a"} 0`,
		`premier_backend_requests_total{backend="http://b"} 5`,
		`premier_backend_failures_total{backend="http://a"} 2`,
		`premier_websocket_connections{route="/ws"} 1`,
		`premier_cache_fills_total{route="/api/*",result="status"} 1`,
		`premier_config_reloads_total{result="failure"} 1`,
		`premier_build_info{version="1.2.3"} 1`,
	} {
		if !strings.Contains(buf.String(), "\n"+line+"\n") {
			t.Errorf("output lacks %s", line)
		}
	}
}

func TestPrometheusLabelEscaping(t *testing.T) {
	var m Collector
	m.Observe(obs("a\"b\\c\nd", 200, 0, 0, t0))
	var sb strings.Builder
	m.WritePrometheus(&sb, &State{})
	if !strings.Contains(sb.String(), `route="a\"b\\c\nd"`) {
		t.Fatal("label not escaped")
	}
	if _, err := promcheck.Families([]byte(sb.String())); err != nil {
		t.Fatal(err)
	}
}
