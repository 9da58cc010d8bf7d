//go:build !race

package route

import (
	"net/netip"
	"testing"
)

func assertNoAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	f() // warm pools and lazily built fasthttp state
	if n := testing.AllocsPerRun(200, f); n != 0 {
		t.Errorf("%s: %v allocs/op, want 0", name, n)
	}
}

func TestMatchAllocs(t *testing.T) {
	tab, errs := Compile([]string{
		"/health", "/api/users/{id}", "/t/{a}*{b}", "/static/*", "/files/*.json",
		`^/re/(?P<year>\d{4})/(?P<slug>[a-z-]+)$`, `^/plain/\d+$`, "/file-{name}.{ext}", "/*",
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, p := range []string{"/health", "/api/users/42", "/t/x/y/z", "/static/a/b", "/files/a/b.json",
		"/re/2024/hello", "/plain/12", "/file-a.b.c", "/other", ""} {
		path := []byte(p)
		var c Captures
		assertNoAllocs(t, "Match "+p, func() { tab.Match(path, &c); _ = c.Get("id", path) })
	}
}

func TestMatchTrailingFormsAllocs(t *testing.T) {
	tab, errs := CompileSpecs([]Spec{{Pattern: "/api/login", TrailingForms: true}, {Pattern: "/api/*"}, {Pattern: "/*"}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, p := range []string{"/api/login", "/api/login/", "/api/login.", "/api/login./", "/api/logout/", "/x."} {
		path := []byte(p)
		var c Captures
		assertNoAllocs(t, "Match "+p, func() { tab.Match(path, &c) })
	}
}

func TestNormalizeAllocs(t *testing.T) {
	dst := make([]byte, 0, 256)
	for _, p := range []string{"/a/b/../c/%2e/%41%2a", "//x//y/", "/a%2fb"} {
		raw := []byte(p)
		assertNoAllocs(t, "NormalizePath "+p, func() { _, _ = NormalizePath(dst[:0], raw) })
	}
	path, prefix := []byte("/__premier/x"), []byte("/__premier")
	assertNoAllocs(t, "HasPrefixSegment", func() { HasPrefixSegment(path, prefix) })
}

func TestClientIPAllocs(t *testing.T) {
	tr, _ := ParseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8"})
	fwd, _ := ParseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8"})
	fwd.Header = Forwarded
	ctx := newCtx(t, "127.0.0.1:1234", "X-Forwarded-For", "6.6.6.6, 2001:db8::1", "X-Forwarded-For", "10.0.0.1, 10.0.0.2",
		"Forwarded", `for=1.1.1.1, for="[2001:db8::2]:80";proto=https, for=10.0.0.3`)
	assertNoAllocs(t, "ClientIP XFF", func() { tr.ClientIP(ctx) })
	assertNoAllocs(t, "ClientIP Forwarded", func() { fwd.ClientIP(ctx) })
	var nilT *Trusted
	assertNoAllocs(t, "ClientIP nil", func() { nilT.ClientIP(ctx) })
	buf := make([]byte, 0, 64)
	v4, v6 := netip.MustParseAddr("1.2.3.4"), netip.MustParseAddr("2001:db8:1:2:3::4")
	assertNoAllocs(t, "AppendClientKey", func() { AppendClientKey(buf[:0], v4); AppendClientKey(buf[:0], v6) })
}

func TestTemplateAllocs(t *testing.T) {
	tab, _ := Compile([]string{"/users/{id}"})
	path := []byte("/users/42")
	var caps Captures
	tab.Match(path, &caps)
	tp, err := CompileTemplate("rl:{client_ip}:{method}:{host}:{path}:{query.page}:{header.X-Key}:{id}", []string{"id"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := tmplCtx(t, "GET", "http://example.com/users/42?page=3", "X-Key", "abc")
	v := &Vars{Path: path, ClientKey: []byte("1.2.3.4"), Caps: &caps}
	buf := make([]byte, 0, 256)
	assertNoAllocs(t, "Template.Append", func() { tp.Append(buf[:0], ctx, v) })
	assertNoAllocs(t, "Template.Append nil vars", func() { tp.Append(buf[:0], ctx, nil) })
}

func TestHostPatternAllocs(t *testing.T) {
	h, err := ParseHostPattern("*.example.com")
	if err != nil {
		t.Fatal(err)
	}
	host := []byte("App.Example.com.")
	assertNoAllocs(t, "HostPattern.Match", func() { h.Match(host) })
}

func TestMatchRequestAllocs(t *testing.T) {
	tab := mustSpecs(t,
		Spec{Pattern: "/api/*", Hosts: []string{"api.example.com", "*.api.example.com"}, Methods: []string{"GET", "POST"}},
		Spec{Pattern: "/api/*", Headers: []KV{{"X-Canary", "1"}}},
		Spec{Pattern: "/api/*", Query: []KV{{"version", "^v[23]$"}}},
		Spec{Pattern: "/api/exact", Headers: []KV{{"X-Tenant", "^(a|b)$"}}},
		Spec{Pattern: `^/re/\d+$`, Methods: []string{"PUT"}},
		Spec{Pattern: "/*", Hosts: []string{"*.example.com"}},
		Spec{Pattern: "/*"},
	)
	for _, r := range []*Request{
		req(t, "GET", "http://API.example.com:8000/api/x"),
		req(t, "GET", "http://eu.api.example.com./api/x"),
		req(t, "PUT", "http://api.example.com/api/x"),
		req(t, "PUT", "http://x.org/api/x", "X-Canary", "1"),
		req(t, "PUT", "http://x.org/api/x?version=v3"),
		req(t, "GET", "http://x.org/api/exact?version=v4", "X-Tenant", "b"),
		req(t, "PUT", "http://x.org/re/12"),
		req(t, "GET", "http://[::1]:80/re/12"),
		req(t, "GET", "http://x.org/other"),
	} {
		var c Captures
		assertNoAllocs(t, "MatchRequest "+string(r.Method)+" "+string(r.Host)+string(r.Path), func() { tab.MatchRequest(r, &c) })
	}
}
