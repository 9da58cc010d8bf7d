package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestDashboardHosts (issue 15 item 2): with dashboard.hosts the real
// binary answers the reserved prefix (page, login, assets, API, metrics)
// only for those Host names, any case and any port; every other Host
// gets the gateway's ordinary 404 there, never the backend, while the
// proxied app keeps working on it.
func TestDashboardHosts(t *testing.T) {
	be := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("app:" + string(ctx.Path())) })
	const token = "hosts-token-0b2d"
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  dashboard:\n    token: %q\n    hosts: [admin.example.com]\n", be, token))
	_, gw, _ := startBinary(t, cfg)
	call := func(host, path string) (int, string) {
		t.Helper()
		return send(t, "GET", gw+path, "", map[string]string{"Host": host, "Authorization": "Bearer " + token})
	}
	paths := []string{"/__premier/", "/__premier/login", "/__premier/assets/app.js", "/__premier/api/snapshot", "/__premier/api/config", "/__premier/metrics"}
	for _, host := range []string{"admin.example.com", "Admin.Example.COM:8443"} {
		for _, p := range paths {
			if code, body := call(host, p); code != 200 {
				t.Errorf("Host %s %s: %d %.200s", host, p, code, body)
			}
		}
	}
	for _, host := range []string{"app.example.com", strings.TrimPrefix(gw, "http://"), "localhost", "admin.example.com.evil"} {
		for _, p := range paths {
			if code, body := call(host, p); code != 404 || body != `{"error":"not found"}` {
				t.Errorf("Host %s %s: %d %.200s, want the gateway's plain 404", host, p, code, body)
			}
		}
		if code, body := call(host, "/shop"); code != 200 || body != "app:/shop" {
			t.Errorf("Host %s /shop: %d %q", host, code, body)
		}
	}
}
