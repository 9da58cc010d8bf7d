package ui

import (
	"net/url"
	"testing"

	"github.com/premier-gateway/premier/ui/source"
)

func TestExplainEndpoint(t *testing.T) {
	h := start(t, newMemSource(""), Options{})
	q := url.Values{"method": {"POST"}, "url": {"https://api.example.com/api/x?v=1"}, "header": {"X-A: 1", "X-B: 2"}}
	resp, body := h.call(t, "GET", "/__premier/api/explain?"+q.Encode(), "", nil)
	e := decode[source.Explanation](t, body)
	if resp.StatusCode != 200 || e.Rule != 1 || e.Pattern != "/api/*" || e.Method != "POST" || e.URL != "https://api.example.com/api/x?v=1" {
		t.Fatalf("explain: %d %s", resp.StatusCode, body)
	}
	if resp, body := h.call(t, "GET", "/__premier/api/explain", "", nil); resp.StatusCode != 400 || len(body) == 0 {
		t.Fatalf("explain without url: %d %s", resp.StatusCode, body)
	}
	if resp, _ := h.call(t, "POST", "/__premier/api/explain", "{}", hdr{"Content-Type": "application/json"}); resp.StatusCode != 405 {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
}
