package ui

import (
	"net/http"
	"strings"
	"testing"
)

// TestReadOnlyWithoutToken (issue 15 item 1): with no dashboard.token a
// loopback client reads everything (pages, snapshot, stream, route
// detail, requests, config, versions, metrics, validate) but every call
// that changes the gateway answers 403 with a JSON error naming
// dashboard.token, and nothing changes; the snapshot says the editor is
// read-only and why.
func TestReadOnlyWithoutToken(t *testing.T) {
	src := newMemSource("")
	h := start(t, src, Options{})
	for _, p := range []string{"/__premier/", "/__premier/api/snapshot", "/__premier/api/routes/detail?route=/api/*",
		"/__premier/api/requests", "/__premier/api/config", "/__premier/api/config/versions", "/__premier/metrics",
		"/__premier/assets/app.js"} {
		if resp, body := h.call(t, "GET", p, "", nil); resp.StatusCode != 200 {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, body)
		}
	}
	if resp, body := h.post(t, "/__premier/api/config/validate", `{"text":"premier: {}\n"}`, nil); resp.StatusCode != 200 {
		t.Errorf("validate: %d %s", resp.StatusCode, body)
	}
	_, body := h.call(t, "GET", "/__premier/api/snapshot", "", nil)
	if snap := decode[liveSnapshot](t, body); !snap.ReadOnly || !strings.Contains(snap.ReadOnlyReason, "dashboard.token") {
		t.Errorf("snapshot does not say read-only: %+v", snap.ReadOnly)
	}
	writes := []struct{ path, body string }{
		{"/__premier/api/config/apply", `{"text":"premier:\n  servers: [\"http://127.0.0.1:8\"]\n"}`},
		{"/__premier/api/config/rollback", `{"version":1}`},
		{"/__premier/api/cache/purge", `{"all":true}`},
	}
	for _, w := range writes {
		for name, extra := range map[string]hdr{
			"same-origin page": nil,
			"curl":             {"Sec-Fetch-Site": "", "Origin": ""},
			"with a bearer":    {"Authorization": "Bearer anything", "Sec-Fetch-Site": "", "Origin": ""},
		} {
			resp, body := h.post(t, w.path, w.body, extra)
			if resp.StatusCode != http.StatusForbidden || body != `{"error":"`+errReadOnly+`"}` || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s (%s): %d %s", w.path, name, resp.StatusCode, body)
			}
		}
	}
	if v := src.Config().Version; v != 1 || src.purges != 0 {
		t.Fatalf("a read-only dashboard changed something: version %d, purges %d", v, src.purges)
	}
	// With a token the snapshot says the editor is on.
	src.mu.Lock()
	src.access.Token = "s3cret"
	src.mu.Unlock()
	h.d.invalidateSnapshot()
	_, body = h.call(t, "GET", "/__premier/api/snapshot", "", hdr{"Authorization": "Bearer s3cret"})
	if snap := decode[liveSnapshot](t, body); snap.ReadOnly || snap.ReadOnlyReason != "" {
		t.Errorf("read-only with a token: %s", body)
	}
}

// TestWritesNeedBearer (issue 15 item 2): a logged-in session cookie
// reads the dashboard, but apply, rollback and purge need the token on
// the call itself as a bearer header; a wrong one counts against the
// login throttle.
func TestWritesNeedBearer(t *testing.T) {
	src := newMemSource("s3cret")
	h := start(t, src, Options{})
	resp, _ := h.call(t, "POST", "/__premier/login", "token=s3cret", hdr{"Content-Type": "application/x-www-form-urlencoded", "Origin": h.base})
	cookie := hdr{"Cookie": cookieName + "=" + sessionCookie(t, resp).Value}
	for _, p := range []string{"/__premier/", "/__premier/api/config", "/__premier/api/snapshot", "/__premier/metrics"} {
		if resp, _ := h.call(t, "GET", p, "", cookie); resp.StatusCode != 200 {
			t.Errorf("cookie GET %s: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := h.post(t, "/__premier/api/config/validate", `{"text":"premier: {}\n"}`, cookie); resp.StatusCode != 200 {
		t.Errorf("cookie validate: %d", resp.StatusCode)
	}
	writes := []struct{ path, body string }{
		{"/__premier/api/config/apply", `{"text":"premier:\n  servers: [\"http://127.0.0.1:8\"]\n"}`},
		{"/__premier/api/config/rollback", `{"version":1}`},
		{"/__premier/api/cache/purge", `{"all":true}`},
	}
	for _, w := range writes {
		resp, body := h.post(t, w.path, w.body, cookie)
		if resp.StatusCode != http.StatusForbidden || decode[struct{ Error string }](t, body).Error != errNoBearer {
			t.Errorf("cookie alone %s: %d %s", w.path, resp.StatusCode, body)
		}
	}
	if src.Config().Version != 1 || src.purges != 0 {
		t.Fatal("a cookie alone changed the gateway")
	}
	// A wrong typed token is a failed login.
	for i := 0; i < maxLoginFailuresPerMinute; i++ {
		if resp, _ := h.post(t, writes[0].path, writes[0].body, hdr{"Cookie": cookie["Cookie"], "Authorization": "Bearer guess"}); resp.StatusCode != 401 {
			t.Fatalf("wrong bearer %d: %d", i, resp.StatusCode)
		}
	}
	if resp, _ := h.post(t, writes[0].path, writes[0].body, hdr{"Cookie": cookie["Cookie"], "Authorization": "Bearer s3cret"}); resp.StatusCode != 429 {
		t.Fatalf("after %d wrong tokens: %d, want 429", maxLoginFailuresPerMinute, resp.StatusCode)
	}
	h2 := start(t, newMemSource("s3cret"), Options{})
	for _, w := range writes {
		if resp, body := h2.post(t, w.path, w.body, hdr{"Authorization": "Bearer s3cret"}); resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized {
			t.Errorf("bearer %s: %d %s", w.path, resp.StatusCode, body)
		}
	}
	if v := h2.src.Config().Version; v != 3 || h2.src.purges != 1 { // applied as 2, rolled back to 1 as 3
		t.Fatalf("bearer calls not applied: version %d, purges %d", v, h2.src.purges)
	}
}
