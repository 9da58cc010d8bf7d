package proxy

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// The gateway's own status page (no dashboard wired) decides access as the
// dashboard does: without a token, a loopback peer only when no proxy
// relayed the request and the Host is local; with a token, the bearer
// header (any case of "Bearer").
func TestReservedStatusAccess(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {})
	open := startGateway(t, configYAML(backend, ""))
	locked := startGateway(t, configYAML(backend, "  dashboard: {token: s3cret}\n"))
	for _, tc := range []struct {
		name string
		h    *gwHarness
		head string
		want string
	}{
		{"local", open, "Host: 127.0.0.1\r\n", "200"},
		{"localhost", open, "Host: localhost:8000\r\n", "200"},
		{"through a local proxy", open, "Host: 127.0.0.1\r\nX-Forwarded-For: 203.0.113.9\r\n", "404"},
		{"through a local proxy (Forwarded)", open, "Host: 127.0.0.1\r\nForwarded: for=203.0.113.9\r\n", "404"},
		{"rebinding", open, "Host: evil.example\r\n", "404"},
		{"no token sent", locked, "Host: 127.0.0.1\r\n", "404"},
		{"bearer", locked, "Host: gw.example\r\nAuthorization: Bearer s3cret\r\n", "200"},
		{"lowercase bearer", locked, "Host: gw.example\r\nAuthorization: bearer s3cret\r\n", "200"},
		{"wrong token", locked, "Host: gw.example\r\nAuthorization: Bearer s3cre\r\n", "404"},
	} {
		out := rawRequest(t, tc.h.addr, "GET /__premier/ HTTP/1.1\r\n"+tc.head+"Connection: close\r\n\r\n")
		if !strings.HasPrefix(out, "HTTP/1.1 "+tc.want) {
			t.Errorf("%s: %.60q, want %s", tc.name, out, tc.want)
		}
	}
}
