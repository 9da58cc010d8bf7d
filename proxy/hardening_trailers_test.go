package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Issue 15 item 10: a chunked request's trailer section never reaches the
// backend, neither as trailers nor moved into the forwarded head, whether
// the gateway buffered the body or streamed it (over bufferedBodyBytes).
// The fields are the ones a backend may act on as if the gateway had
// checked them.
func TestHardeningRequestTrailersDropped(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	trailer := "X-Original-URL: /trailer-leak-1\r\nX-HTTP-Method-Override: DELETE-trailer-leak-2\r\n" +
		"Forwarded: for=trailer-leak-3\r\nUpgrade: trailer-leak-4\r\n"
	announce := "Trailer: X-Original-URL, X-HTTP-Method-Override, Forwarded, Upgrade\r\n"
	for _, tc := range []struct {
		name     string
		size     int
		announce string
	}{
		{"buffered", 100, ""},
		{"buffered announced", 100, announce},
		{"streamed", bufferedBodyBytes + bufferedBodyBytes/2, ""},
		{"streamed announced", bufferedBodyBytes + bufferedBodyBytes/2, announce},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(b.requests())
			skip := len(b.received())
			var req strings.Builder
			fmt.Fprintf(&req, "POST /upload HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n%sConnection: close\r\n\r\n", tc.announce)
			chunk := strings.Repeat("a", 64<<10)
			for left := tc.size; left > 0; left -= len(chunk) {
				if left < len(chunk) {
					chunk = chunk[:left]
				}
				fmt.Fprintf(&req, "%x\r\n%s\r\n", len(chunk), chunk)
			}
			req.WriteString("0\r\n" + trailer + "\r\n")
			exchange(t, h.addr, 5*time.Second, req.String()).wantClosed(t, tc.name, 200)
			reqs := b.waitRequests(t, before+1)
			if len(reqs) != before+1 {
				t.Fatalf("backend got %d requests, want %d", len(reqs), before+1)
			}
			if got := len(reqs[before].Body); got != tc.size {
				t.Errorf("backend got a %d-byte body, want %d", got, tc.size)
			}
			raw := strings.ToLower(b.received()[skip:])
			for _, leak := range []string{"trailer-leak", "x-original-url", "x-http-method-override",
				"\r\nforwarded:", "\r\nupgrade:", "\r\ntrailer:"} {
				if strings.Contains(raw, leak) {
					i := strings.Index(raw, leak)
					t.Errorf("backend received %q: %q", leak, raw[max(0, i-200):min(len(raw), i+200)])
				}
			}
			b.check(t)
		})
	}
}
