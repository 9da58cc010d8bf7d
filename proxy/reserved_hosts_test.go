package proxy

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestReservedPrefixHosts (issue 15 item 2): with dashboard.hosts set,
// the plugin mode's status page answers only for those Host names (any
// case, any port); on other hosts the prefix gets the gateway's ordinary
// 404 and is still never forwarded, while the proxied app keeps working.
func TestReservedPrefixHosts(t *testing.T) {
	var leaked atomic.Int32
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if strings.Contains(string(ctx.RequestURI()), "premier") {
			leaked.Add(1)
		}
		ctx.SetBodyString("app")
	})
	h := startGateway(t, configYAML(backend, "  dashboard:\n    token: s3cret\n    hosts: [admin.example.com]\n"))
	bearer := "Bearer s3cret"
	for _, c := range []struct {
		host string
		want int
	}{
		{"admin.example.com", 200}, {"ADMIN.example.com:8443", 200}, {"admin.example.com.", 200},
		{"app.example.com", 404}, {h.addr, 404}, {"admin.example.com.evil", 404},
	} {
		for _, p := range []string{"/__premier", "/__premier/", "/__premier/metrics"} {
			want := c.want
			if want == 200 && p == "/__premier/metrics" {
				want = 404 // the status page has no /metrics: the dashboard serves it
			}
			resp, body := do(t, "GET", h.url+p, nil, map[string]string{"Host": c.host, "Authorization": bearer})
			if resp.StatusCode != want {
				t.Errorf("Host %s %s: %d %s, want %d", c.host, p, resp.StatusCode, body, want)
			}
			if want == 404 && body != `{"error":"not found"}` {
				t.Errorf("Host %s %s: body %s, want the gateway's plain 404", c.host, p, body)
			}
		}
	}
	if _, body := do(t, "GET", h.url+"/x", nil, map[string]string{"Host": "app.example.com"}); body != "app" {
		t.Errorf("the app on another host: %q", body)
	}
	if leaked.Load() != 0 {
		t.Fatalf("%d reserved requests reached the backend", leaked.Load())
	}
}
