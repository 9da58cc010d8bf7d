package proxy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/ui/source"
)

// startSourced serves a gateway loaded from a real file and returns its
// dashboard source.
func startSourced(t *testing.T, text string) (*gwHarness, *DashboardSource, string) {
	t.Helper()
	gw, path := fileGateway(t, text)
	url := serveGateway(t, gw)
	return &gwHarness{gw: gw, url: url, addr: strings.TrimPrefix(url, "http://")}, gw.DashboardSource(path, 3), path
}

func TestDashboardSourceApplyRollback(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("a") })
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("b") })
	textA := configYAML(a, "  paths:\n    - pattern: /x\n      features:\n        timeout: {seconds: 5}\n")
	textB := configYAML(b, "  paths:\n    - pattern: /x\n      features:\n        timeout: {seconds: 7}\n    - pattern: /y\n")
	h, src, path := startSourced(t, textA)
	get := func() string { _, body := do(t, "GET", h.url+"/x", nil, nil); return body }

	c := src.Config()
	if c.Text != textA || c.Version != 1 || c.File != path {
		t.Fatalf("config: %+v", c)
	}
	v := src.Validate([]byte(textB))
	if !v.OK || strings.Join(v.Diff.Added, ",") != "/y" || strings.Join(v.Diff.Changed, ",") != "/x" ||
		strings.Join(v.Diff.Sections, ",") != "servers" {
		t.Fatalf("validate: %+v", v)
	}

	// An invalid config is refused with positioned errors; the old one serves.
	bad := strings.Replace(textB, "seconds: 7", "seconds: -1", 1) + "  bogus: 1\n"
	v, err := src.Apply([]byte(bad), c.Version)
	if !errors.Is(err, source.ErrInvalid) || v.OK || len(v.Errors) < 2 || v.Errors[0].Line == 0 || v.Errors[0].Col == 0 {
		t.Fatalf("bad apply: %v %+v", err, v)
	}
	if get() != "a" {
		t.Fatal("old config stopped serving")
	}
	if disk, _ := os.ReadFile(path); string(disk) != textA {
		t.Fatal("file changed by a refused apply")
	}

	v, err = src.Apply([]byte(textB), c.Version)
	if err != nil || v.Version != 2 {
		t.Fatalf("apply: %v %+v", err, v)
	}
	if get() != "b" {
		t.Fatal("traffic does not follow the applied config")
	}
	if disk, _ := os.ReadFile(path); string(disk) != textB {
		t.Fatal("file not written")
	}
	if prev, _ := os.ReadFile(config.BackupPath(path)); string(prev) != textA {
		t.Fatal("previous file not kept")
	}
	// An edit that began before the apply conflicts.
	if _, err := src.Apply([]byte(textA), c.Version); !errors.Is(err, source.ErrConflict) {
		t.Fatalf("stale base: %v", err)
	}

	vs := src.Versions()
	if len(vs) != 2 || vs[0].Version != 2 || !vs[0].Current || vs[1].Origin != "start" {
		t.Fatalf("versions: %+v", vs)
	}
	if _, err := src.Rollback(1); err != nil {
		t.Fatal(err)
	}
	if get() != "a" {
		t.Fatal("rollback did not take effect")
	}
	if disk, _ := os.ReadFile(path); string(disk) != textA {
		t.Fatal("rollback not written")
	}
	if _, err := src.Rollback(99); !errors.Is(err, source.ErrNoVersion) {
		t.Fatalf("unknown version: %v", err)
	}

	// A reload from elsewhere (SIGHUP, file watcher) becomes a version; the
	// history is bounded.
	if err := os.WriteFile(path, []byte(textB), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.gw.ReloadFile(path); err != nil {
		t.Fatal(err)
	}
	vs = src.Versions()
	if len(vs) != 3 || vs[0].Origin != "reload" || vs[0].Version != 4 {
		t.Fatalf("versions after reload: %+v", vs)
	}
}

// TestDashboardSourceProblems: the dashboard gets -check's findings as
// line, column and message, positioned or not, in the JSON it always had.
func TestDashboardSourceProblems(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {})
	_, src, _ := startSourced(t, configYAML(backend, ""))

	v := src.Validate([]byte(configYAML(backend, "  paths:\n    - pattern: \"/api/*\"\n    - pattern: \"/api/users/*\"\n")))
	got, _ := json.Marshal(v.Warnings)
	want := `[{"line":5,"col":7,"message":"rule 2 (\"/api/users/*\") can never match: rule 1 (\"/api/*\") before it covers every request it matches"}]`
	if !v.OK || string(got) != want {
		t.Fatalf("positioned warning: %v\n got %s\nwant %s", v.OK, got, want)
	}

	v = src.Validate([]byte("premier:\n  keyspace: k\n"))
	got, _ = json.Marshal(v.Warnings)
	want = `[{"line":0,"col":0,"message":"no servers configured: this is a plugin-mode config (standalone mode needs ` + "`servers`" + `)"}]`
	if !v.OK || string(got) != want {
		t.Fatalf("warning without a position: %v\n got %s\nwant %s", v.OK, got, want)
	}

	v = src.Validate([]byte("premier:\n  bogus: 1\n"))
	if v.OK || len(v.Errors) != 1 || v.Errors[0].Line != 2 || v.Errors[0].Col != 3 ||
		!strings.HasPrefix(v.Errors[0].Message, `unknown key "bogus"`) || len(v.Warnings) != 0 {
		t.Fatalf("error: %+v", v)
	}
}

func TestDashboardSourceLive(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/fail" {
			ctx.SetStatusCode(500)
		}
	})
	h, src, _ := startSourced(t, configYAML(a, "  paths:\n    - pattern: \"/api/*\"\n    - pattern: /fail\n"))
	for i := 0; i < 5; i++ {
		do(t, "GET", h.url+"/api/"+string(rune('a'+i)), nil, nil)
	}
	do(t, "GET", h.url+"/fail", nil, nil)
	rawRequest(t, h.addr, "GET /other/<script> HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

	s := src.Snapshot()
	if len(s.Routes) != 3 || s.Routes[0].Route != "/api/*" || s.Routes[0].Requests != 5 || s.Routes[1].Status[5] != 1 || s.Routes[2].Route != "default" {
		t.Fatalf("routes: %+v", s.Routes)
	}
	if s.Overview.Requests != 7 || s.Overview.ErrorRate.Value == 0 || len(s.Backends) != 1 || s.Backends[0].Requests != 7 {
		t.Fatalf("overview %+v backends %+v", s.Overview, s.Backends)
	}
	p := src.Recent(source.RecentFilter{Route: "/fail"})
	if p.Total != 1 || p.Requests[0].Status != 500 || p.Requests[0].Backend != a {
		t.Fatalf("recent: %+v", p)
	}
	if p := src.Recent(source.RecentFilter{Limit: 1}); p.Requests[0].Path != "/other/<script>" {
		t.Fatalf("recent path %q", p.Requests[0].Path)
	}
	if d, ok := src.RouteDetail("/api/*"); !ok || d.Slots[len(d.Slots)-1].Requests != 5 {
		t.Fatalf("detail: %v", ok)
	}
	// The detail starts where the gateway did (its first slot holds the
	// start), on the history a clock injected into the source gives.
	now := time.Now()
	src.started, src.now = now.Add(-35*time.Second), func() time.Time { return now }
	d, _ := src.RouteDetail("/api/*")
	if first := d.Slots[0].Time; len(d.Slots) < 4 || len(d.Slots) > 5 || first.After(src.started) || !first.Add(10*time.Second).After(src.started) {
		t.Fatalf("%d slots from %v for a gateway started at %v", len(d.Slots), d.Slots[0].Time, src.started)
	}
	if h := src.Snapshot().Seconds; len(h) != 35 {
		t.Fatalf("%d seconds of history for 35 s of uptime", len(h))
	}
	if _, ok := src.RouteDetail("/nope"); ok {
		t.Fatal("detail of an unknown route")
	}
	if _, err := src.Purge(source.Purge{All: true}); err != nil {
		t.Fatalf("purge: %v", err)
	}
	if _, err := src.Purge(source.Purge{}); !errors.Is(err, source.ErrInvalid) {
		t.Fatalf("empty purge: %v", err)
	}
	if acc := src.Access(); !acc.Enabled || acc.Prefix != "/__premier" || acc.Token != "" {
		t.Fatalf("access %+v", acc)
	}

	var sb strings.Builder
	src.WriteMetrics(&sb)
	out := sb.String()
	for _, want := range []string{
		`premier_requests_total{route="/api/*",method="GET",code="200"} 5`,
		`premier_requests_total{route="/fail",method="GET",code="500"} 1`,
		`premier_request_duration_seconds_bucket{route="/api/*",code="2xx",le="+Inf"} 5`,
		`premier_request_duration_seconds_count{route="/api/*",code="2xx"} 5`,
		`premier_upstream_request_duration_seconds_count{route="/fail"} 1`,
		`premier_config_reloads_total{result="success"} 0`,
		`premier_backend_requests_total{backend="` + a + `"} 7`,
		"# TYPE premier_request_duration_seconds histogram",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// fileGateway writes text to a config file and builds a gateway from it
// (not yet serving); it returns the gateway and the file's path.
func fileGateway(t *testing.T, text string) (*Gateway, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(l, WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	return gw, path
}
