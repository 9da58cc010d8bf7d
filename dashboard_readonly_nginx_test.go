package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/nginxtest"
	"github.com/premier-gateway/premier/proxy/config"
)

// TestNoTokenDashboardReadOnlyBehindNginx (issue 15 item 1): a real nginx
// on the same host proxies to the gateway with a plain proxy_pass, the
// Host rewritten to 127.0.0.1 and no X-Forwarded-For, so every client of
// nginx reaches the gateway as a loopback peer with a loopback Host. With
// no dashboard.token that client gets the read-only dashboard: pages,
// snapshot (saying read-only and why), config, metrics and validate work;
// apply, rollback and purge answer 403 with a JSON error naming
// dashboard.token, the config file stays byte-for-byte the same, and the
// gateway keeps its backend.
func TestNoTokenDashboardReadOnlyBehindNginx(t *testing.T) {
	be := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("original") })
	evil := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("attacker") })
	cfgText := fmt.Sprintf("premier:\n  servers: [%q]\n  paths:\n    - pattern: \"/cached/*\"\n      features:\n        cache: {expire_s: 60}\n", be)
	cfg := writeFile(t, "gw.yaml", cfgText)
	_, gw, _ := startBinary(t, cfg)
	ngx := nginxtest.Start(t, strings.TrimPrefix(gw, "http://"), "proxy_set_header Host 127.0.0.1;")

	call := func(method, path, body string, headers map[string]string) (int, string) {
		t.Helper()
		return send(t, method, ngx.URL()+"/__premier"+path, body, headers)
	}

	// Reading works through nginx.
	for _, p := range []string{"/", "/api/snapshot", "/api/config", "/api/config/versions", "/api/requests", "/metrics"} {
		if code, body := call("GET", p, "", nil); code != 200 {
			t.Errorf("GET %s through nginx: %d %s", p, code, body)
		}
	}
	_, body := call("GET", "/api/snapshot", "", nil)
	var snap struct {
		ReadOnly bool   `json:"read_only"`
		Reason   string `json:"read_only_reason"`
	}
	if err := json.Unmarshal([]byte(body), &snap); err != nil || !snap.ReadOnly || !strings.Contains(snap.Reason, "dashboard.token") {
		t.Errorf("snapshot does not say read-only: %v %s", err, body)
	}
	edited := strings.Replace(cfgText, be, evil, 1)
	text, _ := json.Marshal(edited)
	if code, body := call("POST", "/api/config/validate", `{"text":`+string(text)+`}`, nil); code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Errorf("validate through nginx: %d %s", code, body)
	}

	// Nothing that writes.
	for _, w := range []struct{ path, body string }{
		{"/api/config/apply", `{"text":` + string(text) + `}`},
		{"/api/config/rollback", `{"version":1}`},
		{"/api/cache/purge", `{"all":true}`},
	} {
		for name, h := range map[string]map[string]string{
			"curl":             nil,
			"same-origin page": {"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1"},
		} {
			code, body := call("POST", w.path, w.body, h)
			var e struct{ Error string }
			if code != 403 || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, "dashboard.token") {
				t.Errorf("POST %s (%s) through nginx: %d %s, want 403 naming dashboard.token", w.path, name, code, body)
			}
		}
	}
	disk, err := os.ReadFile(cfg)
	if err != nil || string(disk) != cfgText {
		t.Fatalf("config file changed: %v\n%s", err, disk)
	}
	if _, err := os.Stat(config.BackupPath(cfg)); !os.IsNotExist(err) {
		t.Errorf("a previous config was written: %v", err)
	}
	if code, body := get(t, ngx.URL()+"/x"); code != 200 || body != "original" {
		t.Errorf("the gateway's backend changed: %d %q", code, body)
	}
}
