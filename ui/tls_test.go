package ui

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestSnapshotTLS: the snapshot carries the TLS listener's figures for the
// dashboard's TLS panel, and the page has the elements its script fills.
func TestSnapshotTLS(t *testing.T) {
	h := start(t, newMemSource(""), Options{})
	_, body := h.call(t, "GET", "/__premier/api/snapshot", "", nil)
	for _, want := range []string{`"tls":{`, `"version":"1.3","alpn":"h1","count":7`, `"reason":"not_tls","count":2`, `"name":"api.example.com","expires_in_seconds":86400`} {
		if !strings.Contains(body, want) {
			t.Errorf("snapshot lacks %s: %s", want, body)
		}
	}
	page := string(must(os.ReadFile("assets/index.html")))
	js := string(must(os.ReadFile("assets/app.js")))
	if !strings.Contains(js, "renderTLS(s)") {
		t.Fatal("app.js does not render the TLS panel")
	}
	fn := js[strings.Index(js, "function renderTLS"):]
	fn = fn[:strings.Index(fn, "\n  }\n")]
	for _, m := range regexp.MustCompile(`\$\('#([a-z-]+)`).FindAllStringSubmatch(fn, -1) {
		if !strings.Contains(page, `id="`+m[1]+`"`) {
			t.Errorf("renderTLS fills #%s, which index.html lacks", m[1])
		}
	}
}
