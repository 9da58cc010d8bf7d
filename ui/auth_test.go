package ui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/adminauth"
)

func TestNoTokenLoopbackOnly(t *testing.T) {
	h := start(t, newMemSource(""), Options{})
	resp, body := h.call(t, "GET", "/__premier/", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "<title>Premier dashboard</title>") {
		t.Fatalf("loopback page: %d", resp.StatusCode)
	}
	for _, hd := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if resp.Header.Get(hd) == "" {
			t.Errorf("missing %s", hd)
		}
	}
	if resp, _ := h.call(t, "GET", "/__premier", "", nil); resp.StatusCode != http.StatusFound || !strings.HasSuffix(resp.Header.Get("Location"), "/__premier/") {
		t.Errorf("prefix without slash: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := h.call(t, "GET", "/__premier/api/snapshot", "", nil); resp.StatusCode != 200 {
		t.Errorf("loopback api: %d", resp.StatusCode)
	}
	// A client behind a local proxy is not a loopback client.
	resp, body = h.call(t, "GET", "/__premier/", "", hdr{"X-Forwarded-For": "203.0.113.9"})
	if resp.StatusCode != 404 || body != `{"error":"not found"}` {
		t.Errorf("forwarded: %d %s", resp.StatusCode, body)
	}
	// DNS rebinding: a loopback peer asking for another host name.
	if resp, _ := h.call(t, "GET", "/__premier/api/snapshot", "", hdr{"Host": "evil.example:80"}); resp.StatusCode != 403 {
		t.Errorf("rebinding host: %d", resp.StatusCode)
	}
	if resp, _ := h.call(t, "GET", "/__premier/", "", hdr{"Host": "localhost"}); resp.StatusCode != 200 {
		t.Errorf("localhost host: %d", resp.StatusCode)
	}
	// Remote clients get the gateway's plain 404, for every path.
	for _, p := range []string{"/__premier/", "/__premier/api/snapshot", "/__premier/metrics", "/__premier/login", "/__premier/assets/style.css"} {
		r := serveAs(h.d, "203.0.113.9", "GET "+p+" HTTP/1.1\r\nHost: gw.example\r\n\r\n")
		if r.StatusCode() != 404 || string(r.Body()) != `{"error":"not found"}` {
			t.Errorf("remote %s: %d %s", p, r.StatusCode(), r.Body())
		}
	}
	// ...even with a bearer token: none is configured.
	if r := serveAs(h.d, "203.0.113.9", "GET /__premier/api/snapshot HTTP/1.1\r\nHost: gw.example\r\nAuthorization: Bearer x\r\n\r\n"); r.StatusCode() != 404 {
		t.Errorf("remote with bearer: %d", r.StatusCode())
	}
}

func TestDisabled(t *testing.T) {
	src := newMemSource("")
	src.access.Enabled = false
	h := start(t, src, Options{})
	if resp, _ := h.call(t, "GET", "/__premier/", "", nil); resp.StatusCode != 404 {
		t.Fatalf("disabled dashboard answered %d", resp.StatusCode)
	}
}

func TestTokenRequired(t *testing.T) {
	h := start(t, newMemSource("s3cret"), Options{})
	resp, body := h.call(t, "GET", "/__premier/", "", nil)
	if resp.StatusCode != 401 || !strings.Contains(body, `<form method="post" action="/__premier/login"`) || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page without token: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/__premier/api/snapshot", "/__premier/metrics", "/__premier/api/config", "/__premier/api/explain?url=http://x/"} {
		resp, body := h.call(t, "GET", p, "", nil)
		if resp.StatusCode != 401 || !strings.HasPrefix(body, `{"error":"unauthorized`) || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without token: %d %s", p, resp.StatusCode, body)
		}
	}
	for _, bad := range []string{"Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "Bearer "} {
		if resp, _ := h.call(t, "GET", "/__premier/api/snapshot", "", hdr{"Authorization": bad}); resp.StatusCode != 401 {
			t.Errorf("%q: %d", bad, resp.StatusCode)
		}
	}
	if resp, _ := h.call(t, "GET", "/__premier/api/snapshot", "", hdr{"Authorization": "Bearer s3cret"}); resp.StatusCode != 200 {
		t.Errorf("right token: %d", resp.StatusCode)
	}
	// With a token, remote clients are served too (and loopback needs it).
	if r := serveAs(h.d, "203.0.113.9", "GET /__premier/api/snapshot HTTP/1.1\r\nHost: gw.example\r\nAuthorization: Bearer s3cret\r\n\r\n"); r.StatusCode() != 200 {
		t.Errorf("remote with token: %d", r.StatusCode())
	}
	if r := serveAs(h.d, "203.0.113.9", "GET /__premier/api/snapshot HTTP/1.1\r\nHost: gw.example\r\n\r\n"); r.StatusCode() != 401 {
		t.Errorf("remote without token: %d", r.StatusCode())
	}
	// The login form's assets load without a token.
	if resp, _ := h.call(t, "GET", "/__premier/assets/style.css", "", nil); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", resp.Header["Set-Cookie"])
	return nil
}

func TestLoginCookie(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	h := start(t, newMemSource("s3cret"), Options{now: clock, SessionTTL: time.Hour})
	form := hdr{"Content-Type": "application/x-www-form-urlencoded", "Origin": h.base}

	if resp, body := h.call(t, "GET", "/__premier/login", "", nil); resp.StatusCode != 200 || !strings.Contains(body, `name="token"`) {
		t.Fatalf("login form: %d", resp.StatusCode)
	}
	if resp, body := h.call(t, "POST", "/__premier/login", "token=nope", form); resp.StatusCode != 401 || !strings.Contains(body, "Wrong token") || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	cross := hdr{"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"}
	if resp, _ := h.call(t, "POST", "/__premier/login", "token=s3cret", cross); resp.StatusCode != 403 {
		t.Fatalf("cross-origin login: %d", resp.StatusCode)
	}
	resp, _ := h.call(t, "POST", "/__premier/login", "token=s3cret", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/__premier/") {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	c := sessionCookie(t, resp)
	raw := strings.Join(resp.Header["Set-Cookie"], "; ")
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/__premier/" || strings.Contains(raw, "s3cret") {
		t.Fatalf("cookie attributes: %s", raw)
	}
	withCookie := hdr{"Cookie": cookieName + "=" + c.Value}
	if resp, _ := h.call(t, "GET", "/__premier/api/snapshot", "", withCookie); resp.StatusCode != 200 {
		t.Fatalf("cookie: %d", resp.StatusCode)
	}
	tampered := []byte(c.Value)
	tampered[len(tampered)-2] ^= 1
	if resp, _ := h.call(t, "GET", "/__premier/api/snapshot", "", hdr{"Cookie": cookieName + "=" + string(tampered)}); resp.StatusCode != 401 {
		t.Fatalf("tampered cookie: %d", resp.StatusCode)
	}
	// A changed token ends the session.
	h.src.mu.Lock()
	h.src.access.Token = "n3w"
	h.src.mu.Unlock()
	if resp, _ := h.call(t, "GET", "/__premier/api/snapshot", "", withCookie); resp.StatusCode != 401 {
		t.Fatalf("cookie after token change: %d", resp.StatusCode)
	}
	h.src.mu.Lock()
	h.src.access.Token = "s3cret"
	h.src.mu.Unlock()
	// ...and so does time.
	now = now.Add(2 * time.Hour)
	if resp, _ := h.call(t, "GET", "/__premier/api/snapshot", "", withCookie); resp.StatusCode != 401 {
		t.Fatalf("expired cookie: %d", resp.StatusCode)
	}
	resp, _ = h.call(t, "POST", "/__premier/logout", "", hdr{"Origin": h.base})
	if c := sessionCookie(t, resp); resp.StatusCode != http.StatusSeeOther || c.Value != "" || !c.Expires.Before(time.Now()) {
		t.Fatalf("logout: %d %v", resp.StatusCode, resp.Header["Set-Cookie"])
	}
}

func TestLoginThrottle(t *testing.T) {
	h := start(t, newMemSource("s3cret"), Options{})
	form := hdr{"Content-Type": "application/x-www-form-urlencoded", "Origin": h.base}
	for i := 0; i < maxLoginFailuresPerMinute; i++ {
		h.call(t, "POST", "/__premier/login", "token=guess", form)
	}
	if resp, _ := h.call(t, "POST", "/__premier/login", "token=s3cret", form); resp.StatusCode != 429 {
		t.Fatalf("after %d failures: %d", maxLoginFailuresPerMinute, resp.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	h := start(t, newMemSource("s3cret"), Options{})
	form := hdr{"Content-Type": "application/x-www-form-urlencoded", "Origin": h.base}
	resp, _ := h.call(t, "POST", "/__premier/login", "token=s3cret", form)
	cookie := cookieName + "=" + sessionCookie(t, resp).Value
	body := `{"text":"premier:\n  servers: [\"http://127.0.0.1:8\"]\n"}`
	for _, c := range []struct {
		name    string
		headers hdr
		want    int
	}{
		{"cookie, cross-site fetch", hdr{"Cookie": cookie, "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"cookie, same-site other origin", hdr{"Cookie": cookie, "Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost"}, 403},
		{"cookie, foreign Origin only", hdr{"Cookie": cookie, "Sec-Fetch-Site": "", "Origin": "https://evil.example"}, 403},
		{"cookie, foreign Referer only", hdr{"Cookie": cookie, "Sec-Fetch-Site": "", "Origin": "", "Referer": "https://evil.example/x"}, 403},
		{"cookie, no browser marks", hdr{"Cookie": cookie, "Sec-Fetch-Site": "", "Origin": ""}, 403},
		{"cookie and bearer, form content type", hdr{"Cookie": cookie, "Authorization": "Bearer s3cret", "Content-Type": "text/plain"}, 415},
		{"no credentials, same origin", hdr{}, 401},
		// A cookie alone never changes the gateway (TestWritesNeedBearer).
		{"cookie, same origin", hdr{"Cookie": cookie}, 403},
		{"cookie and bearer, same origin", hdr{"Cookie": cookie, "Authorization": "Bearer s3cret"}, 200},
		{"cookie and bearer, same-origin Referer", hdr{"Cookie": cookie, "Authorization": "Bearer s3cret", "Sec-Fetch-Site": "", "Origin": "", "Referer": h.base + "/__premier/"}, 200},
		{"bearer, no browser marks (curl)", hdr{"Authorization": "Bearer s3cret", "Sec-Fetch-Site": "", "Origin": ""}, 200},
		{"bearer, cross-site browser", hdr{"Authorization": "Bearer s3cret", "Sec-Fetch-Site": "cross-site"}, 403},
	} {
		resp, b := h.post(t, "/__premier/api/config/apply", body, c.headers)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, b, c.want)
		}
	}
	// No token: loopback clients read, but write nothing, same-origin
	// or not (TestReadOnlyWithoutToken).
	h2 := start(t, newMemSource(""), Options{})
	if resp, _ := h2.post(t, "/__premier/api/cache/purge", `{"all":true}`, hdr{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); resp.StatusCode != 403 {
		t.Errorf("loopback cross-origin purge: %d", resp.StatusCode)
	}
	if resp, body := h2.post(t, "/__premier/api/cache/purge", `{"all":true}`, hdr{"Sec-Fetch-Site": "", "Origin": ""}); resp.StatusCode != 403 || !strings.Contains(body, "dashboard.token") {
		t.Errorf("loopback curl purge: %d %s", resp.StatusCode, body)
	}
}

func TestTokenEqual(t *testing.T) {
	if !adminauth.TokenEqual([]byte("abc"), "abc") || adminauth.TokenEqual([]byte("abd"), "abc") || adminauth.TokenEqual([]byte("ab"), "abc") || adminauth.TokenEqual(nil, "abc") {
		t.Fatal("tokenEqual")
	}
	for _, c := range []struct {
		host string
		ok   bool
	}{{"localhost:8000", true}, {"127.0.0.1", true}, {"127.1.2.3:80", true}, {"[::1]:8000", true}, {"app.localhost", true},
		{"example.com", false}, {"10.0.0.1:80", false}, {"localhost.evil.example", false}} {
		if adminauth.LoopbackHost([]byte(c.host)) != c.ok {
			t.Errorf("loopbackHost(%q) != %v", c.host, c.ok)
		}
	}
}
