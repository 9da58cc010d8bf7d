package ui

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func TestConfigFlow(t *testing.T) {
	h := start(t, newMemSource("s3cret"), Options{})
	auth := hdr{"Authorization": "Bearer s3cret"}
	_, body := h.call(t, "GET", "/__premier/api/config", "", auth)
	cfg := decode[source.Config](t, body)
	if cfg.Version != 1 || !strings.HasPrefix(cfg.Text, "premier:") {
		t.Fatalf("config %+v", cfg)
	}
	bad := cfg.Text + "  bogus: 1\n"
	req := func(text string, base int) string {
		b, _ := json.Marshal(map[string]any{"text": text, "base_version": base})
		return string(b)
	}

	// Validate: positioned errors and a line diff.
	resp, body := h.post(t, "/__premier/api/config/validate", `{"text":`+jsonString(bad)+`}`, auth)
	v := decode[validation](t, body)
	if resp.StatusCode != 200 || v.OK || len(v.Errors) != 1 || v.Errors[0].Line != 3 || v.Errors[0].Col != 3 {
		t.Fatalf("validate: %d %s", resp.StatusCode, body)
	}
	if n := len(v.Lines); n != 3 || v.Lines[2].Op != "+" || v.Lines[2].Text != "  bogus: 1" {
		t.Fatalf("line diff: %+v", v.Lines)
	}

	// An invalid apply is refused with its errors; the version stays.
	resp, body = h.post(t, "/__premier/api/config/apply", req(bad, 1), auth)
	if resp.StatusCode != 422 || !strings.Contains(body, `"line":3`) {
		t.Fatalf("bad apply: %d %s", resp.StatusCode, body)
	}
	if h.src.Config().Version != 1 {
		t.Fatal("invalid config applied")
	}

	good := cfg.Text + "  listen: \":9000\"\n"
	resp, body = h.post(t, "/__premier/api/config/apply", req(good, 1), auth)
	if resp.StatusCode != 200 || decode[validation](t, body).Version != 2 {
		t.Fatalf("apply: %d %s", resp.StatusCode, body)
	}
	if resp, _ := h.post(t, "/__premier/api/config/apply", req(good, 1), auth); resp.StatusCode != 409 {
		t.Fatalf("stale base: %d", resp.StatusCode)
	}
	_, body = h.call(t, "GET", "/__premier/api/config/versions", "", auth)
	vs := decode[struct{ Versions []source.Version }](t, body).Versions
	if len(vs) != 2 || !vs[0].Current || vs[1].Version != 1 {
		t.Fatalf("versions %s", body)
	}
	if resp, body := h.post(t, "/__premier/api/config/rollback", `{"version":1}`, auth); resp.StatusCode != 200 || decode[validation](t, body).Version != 3 {
		t.Fatalf("rollback: %d %s", resp.StatusCode, body)
	}
	if h.src.Config().Text != cfg.Text {
		t.Fatal("rollback did not restore the text")
	}
	if resp, _ := h.post(t, "/__premier/api/config/rollback", `{"version":42}`, auth); resp.StatusCode != 404 {
		t.Fatalf("unknown version: %d", resp.StatusCode)
	}
	for _, c := range []struct{ path, body string }{
		{"/__premier/api/config/apply", `{}`},
		{"/__premier/api/config/apply", `{"text": 1}`},
		{"/__premier/api/config/apply", `{"text": "x", "extra": 1}`},
		{"/__premier/api/config/validate", `not json`},
	} {
		if resp, _ := h.post(t, c.path, c.body, auth); resp.StatusCode != 400 {
			t.Errorf("%s %s: %d", c.path, c.body, resp.StatusCode)
		}
	}
	if resp, _ := h.call(t, "GET", "/__premier/api/config/apply", "", auth); resp.StatusCode != 405 {
		t.Errorf("GET apply: %d", resp.StatusCode)
	}
	if resp, _ := h.call(t, "GET", "/__premier/api/nope", "", auth); resp.StatusCode != 404 {
		t.Errorf("unknown endpoint: %d", resp.StatusCode)
	}
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestLiveEndpoints(t *testing.T) {
	src := newMemSource("")
	src.recent = []source.Request{{Method: "GET", Path: "/<script>alert(1)</script>", Route: "/api/*", Status: 200}}
	h := start(t, src, Options{})

	resp, body := h.call(t, "GET", "/__premier/api/snapshot", "", nil)
	snap := decode[liveSnapshot](t, body)
	if resp.StatusCode != 200 || snap.Overview.Requests != 1 || len(snap.HealthEvents) != 1 || !snap.HealthEvents[0].Healthy {
		t.Fatalf("snapshot: %s", body)
	}
	if resp, _ := h.call(t, "GET", "/__premier/api/routes/detail?route=/api/*", "", nil); resp.StatusCode != 200 {
		t.Errorf("detail: %d", resp.StatusCode)
	}
	if resp, _ := h.call(t, "GET", "/__premier/api/routes/detail?route=/x", "", nil); resp.StatusCode != 404 {
		t.Errorf("unknown detail: %d", resp.StatusCode)
	}

	_, body = h.call(t, "GET", "/__premier/api/requests?route=/api/*&status=5xx&page=3&per_page=20", "", nil)
	if f := src.lastF; f.Route != "/api/*" || f.StatusClass != 5 || f.Offset != 40 || f.Limit != 20 {
		t.Errorf("filter %+v", f)
	}
	// User-supplied strings leave as JSON text, HTML-escaped.
	if !strings.Contains(body, `\u003cscript\u003e`) || strings.Contains(body, "<script>") {
		t.Errorf("recent body not escaped: %s", body)
	}
	h.call(t, "GET", "/__premier/api/requests?status=404", "", nil)
	if f := src.lastF; f.Status != 404 || f.StatusClass != 0 || f.Limit != 50 || f.Offset != 0 {
		t.Errorf("filter %+v", f)
	}
	if resp, _ := h.call(t, "GET", "/__premier/api/requests?status=abc", "", nil); resp.StatusCode != 400 {
		t.Errorf("bad status: %d", resp.StatusCode)
	}
	h.call(t, "GET", "/__premier/api/requests?per_page=100000", "", nil)
	if src.lastF.Limit != 500 {
		t.Errorf("per_page not capped: %d", src.lastF.Limit)
	}

	resp, body = h.call(t, "GET", "/__premier/metrics", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") || !strings.Contains(body, "premier_requests_total") {
		t.Errorf("metrics: %d %s", resp.StatusCode, body)
	}

	// Purging needs the token (TestReadOnlyWithoutToken); with it:
	src.mu.Lock()
	src.access.Token = "s3cret"
	src.mu.Unlock()
	auth := hdr{"Authorization": "Bearer s3cret"}
	resp, body = h.post(t, "/__premier/api/cache/purge", `{"rule":"/api/*"}`, auth)
	if resp.StatusCode != 409 || !strings.Contains(body, "cache not active") {
		t.Errorf("purge: %d %s", resp.StatusCode, body)
	}
	if resp, _ := h.post(t, "/__premier/api/cache/purge", `{}`, auth); resp.StatusCode != 400 {
		t.Errorf("empty purge: %d", resp.StatusCode)
	}
}

func TestAssets(t *testing.T) {
	h := start(t, newMemSource(""), Options{})
	for _, c := range []struct {
		path, ctype string
		code        int
	}{
		{"/__premier/assets/app.js", "text/javascript", 200},
		{"/__premier/assets/vendor/uPlot.iife.min.js", "text/javascript", 200},
		{"/__premier/assets/vendor/uPlot.LICENSE", "", 200},
		{"/__premier/assets/nope.js", "", 404},
		{"/__premier/assets/../dashboard.go", "", 404},
		{"/__premier/assets/%2e%2e/doc.go", "", 404},
		{"/__premier/assets/index.html", "", 404},
		{"/__premier/nope", "", 404},
	} {
		resp, _ := h.call(t, "GET", c.path, "", nil)
		if resp.StatusCode != c.code || (c.ctype != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype)) {
			t.Errorf("%s: %d %s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

// readEvent reads one SSE event (name, data).
func readEvent(t *testing.T, r *bufio.Reader) (string, string) {
	t.Helper()
	var name, data string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		case line == "" && name != "":
			return name, data
		}
	}
}

func TestStream(t *testing.T) {
	h := start(t, newMemSource(""), Options{Interval: 20 * time.Millisecond, MaxStreams: 1})
	req, _ := http.NewRequest("GET", h.base+"/__premier/api/stream?route=/api/*", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	seen := map[string]int{}
	for seen["snapshot"] < 2 || seen["route"] < 2 {
		name, data := readEvent(t, r)
		seen[name]++
		if name == "snapshot" {
			decode[liveSnapshot](t, data)
		}
	}
	// One stream at most: the next client waits.
	if resp2, _ := h.call(t, "GET", "/__premier/api/stream", "", nil); resp2.StatusCode != 503 {
		t.Fatalf("second stream: %d", resp2.StatusCode)
	}
	// Close ends the stream.
	h.d.Close()
	for {
		if _, err := r.ReadString('\n'); err != nil {
			break
		}
	}
}

func TestLineDiff(t *testing.T) {
	d := lineDiff("a\nb\nc\nd\n", "a\nx\nc\nd\ne\n")
	var got []string
	for _, l := range d {
		got = append(got, l.Op+l.Text)
	}
	if strings.Join(got, ",") != "=a,-b,+x,=c,=d,+e" {
		t.Fatalf("diff %v", got)
	}
	if d := lineDiff("", "a\n"); len(d) != 1 || d[0].Op != "+" {
		t.Fatalf("from empty %v", d)
	}
}

// TestHistoryServed: /api/history serves the source's whole five minutes
// of seconds (the page draws them at once); each snapshot carries only the
// last few, which the page appends.
func TestHistoryServed(t *testing.T) {
	src := newMemSource("s3cret")
	base := time.Unix(1_800_000_000, 0).UTC()
	for i := 0; i < 300; i++ {
		src.seconds = append(src.seconds, source.Second{Time: base.Add(time.Duration(i) * time.Second), Requests: uint64(i)})
	}
	h := start(t, src, Options{})
	auth := hdr{"Authorization": "Bearer s3cret"}
	_, body := h.call(t, "GET", "/__premier/api/history", "", auth)
	hist := decode[struct {
		SlotSeconds int             `json:"slot_seconds"`
		Seconds     []source.Second `json:"seconds"`
	}](t, body)
	if hist.SlotSeconds != 1 || len(hist.Seconds) != 300 || hist.Seconds[299].Requests != 299 || !hist.Seconds[0].Time.Equal(base) {
		t.Fatalf("history: slot %d, %d points", hist.SlotSeconds, len(hist.Seconds))
	}
	_, body = h.call(t, "GET", "/__premier/api/snapshot", "", auth)
	snap := decode[source.Snapshot](t, body)
	if len(snap.Seconds) != snapshotTail || snap.Seconds[snapshotTail-1].Requests != 299 {
		t.Fatalf("snapshot seconds: %+v", snap.Seconds)
	}
}
