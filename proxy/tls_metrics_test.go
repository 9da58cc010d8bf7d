package proxy

import (
	"bytes"
	"crypto/tls"
	"net"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/premier-gateway/premier/internal/promcheck"
	"github.com/premier-gateway/premier/internal/wait"
	"github.com/premier-gateway/premier/proxy/edge"
)

// tlsFamilies scrapes the gateway's exposition (checked to parse) and
// returns its families.
func tlsFamilies(t *testing.T, g *Gateway) map[string]*dto.MetricFamily {
	t.Helper()
	var buf bytes.Buffer
	g.writePrometheus(&buf)
	mfs, err := promcheck.Families(buf.Bytes())
	if err != nil {
		t.Fatalf("exposition invalid: %v\n%s", err, buf.String())
	}
	return mfs
}

// sampleValue is the value of family's sample with the label given.
func sampleValue(mfs map[string]*dto.MetricFamily, family, label, value string, more ...string) float64 {
	mf := mfs[family]
	if mf == nil {
		return -1
	}
	for _, m := range mf.Metric {
		want := map[string]string{label: value}
		for i := 0; i+1 < len(more); i += 2 {
			want[more[i]] = more[i+1]
		}
		match := 0
		for _, l := range m.Label {
			if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match == len(want) {
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	return -1
}

// TestTLSMetrics: /metrics counts TLS handshakes by version and ALPN,
// failures by reason (plain HTTP sent to the TLS port, a client that
// closes at once), and reports each certificate name's seconds left; the
// exposition still parses, and the dashboard's snapshot has the same
// figures. A gateway without a TLS listener has none of them.
func TestTLSMetrics(t *testing.T) {
	ca, leaf := localLeaf(t)
	b := startRecBackend(t)
	h := startTLSGateway(t, ca, configYAML(b.url, tlsBlock(leaf, "")))
	if code, _, _ := h.get(t, true, "/x", nil); code != 200 {
		t.Fatalf("https: %d", code)
	}
	cfg := ca.ClientConfig("localhost")
	cfg.MaxVersion = tls.VersionTLS12
	c12, err := tls.Dial("tcp", h.tlsAddr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_ = c12.Close()
	plain, err := net.Dial("tcp", h.tlsAddr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = plain.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	_, _ = plain.Read(make([]byte, 64))
	_ = plain.Close()
	gone, err := net.Dial("tcp", h.tlsAddr)
	if err != nil {
		t.Fatal(err)
	}
	_ = gone.Close()

	var mfs map[string]*dto.MetricFamily
	wait.Until(t, "the failures counted", func() bool {
		mfs = tlsFamilies(t, h.gw)
		return sampleValue(mfs, "premier_tls_handshake_failures_total", "reason", "not_tls") == 1 &&
			sampleValue(mfs, "premier_tls_handshake_failures_total", "reason", "closed") == 1
	})
	if got := sampleValue(mfs, "premier_tls_handshakes_total", "version", "1.3", "alpn", "h1"); got < 1 {
		t.Errorf("TLS 1.3 h1 handshakes: %v", got)
	}
	if got := sampleValue(mfs, "premier_tls_handshakes_total", "version", "1.2", "alpn", "h1"); got != 1 {
		t.Errorf("TLS 1.2 h1 handshakes: %v, want 1", got)
	}
	if got := sampleValue(mfs, "premier_tls_handshakes_total", "version", "1.3", "alpn", "h2"); got != 0 {
		t.Errorf("h2 handshakes: %v, want 0 (a zero series is still listed)", got)
	}
	left := sampleValue(mfs, "premier_tls_certificate_expiry_seconds", "name", "localhost")
	if want := time.Until(leaf.Cert.NotAfter).Seconds(); left < want-60 || left > want+1 {
		t.Errorf("expiry of localhost: %v s, want about %v", left, want)
	}

	// The dashboard's snapshot carries the same figures.
	snap := h.gw.DashboardSource("", 0).Snapshot()
	if snap.TLS == nil || len(snap.TLS.Certificates) != 1 || snap.TLS.Certificates[0].Name != "localhost" || len(snap.TLS.Failures) != len(edge.FailReasons) {
		t.Errorf("dashboard TLS figures: %+v", snap.TLS)
	}

	plainOnly := startGateway(t, configYAML(b.url, ""))
	if plainOnly.gw.DashboardSource("", 0).Snapshot().TLS != nil {
		t.Error("dashboard TLS figures without a TLS listener")
	}
	for name := range tlsFamilies(t, plainOnly.gw) {
		if len(name) > 12 && name[:12] == "premier_tls_" {
			t.Errorf("family %s without a TLS listener", name)
		}
	}
}

// TestTLSMetricsSourcedExpiry: the names a certificate source serves
// (tls.acme's domains) report the expiry the source gives (what main
// wires from the ACME manager), in place of a file's certificate for the
// same name, and are left out while the source has none.
func TestTLSMetricsSourcedExpiry(t *testing.T) {
	_, leaf := localLeaf(t)
	b := startRecBackend(t)
	yaml := configYAML(b.url, tlsBlock(leaf, "    acme: {domains: [api.example.com, localhost, new.example.com], storage: \""+t.TempDir()+"\"}\n"))
	gw := newGateway(t, yaml)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in90 := time.Now().Add(90 * 24 * time.Hour)
	tln, err := gw.ListenTLS(raw, TLSOptions{Expiry: func(name string) (time.Time, bool) {
		return in90, name != "new.example.com"
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer tln.Close()
	mfs := tlsFamilies(t, gw)
	for name, want := range map[string]float64{"api.example.com": 90 * 86400, "localhost": 90 * 86400, "new.example.com": -1} {
		got := sampleValue(mfs, "premier_tls_certificate_expiry_seconds", "name", name)
		if want < 0 && got != -1 || want >= 0 && (got < want-60 || got > want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if n := len(mfs["premier_tls_certificate_expiry_seconds"].GetMetric()); n != 2 {
		t.Errorf("%d expiry series, want 2 (one per name)", n)
	}
}
