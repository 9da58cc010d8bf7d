package proxy

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// Catalogue D (reliability.md scenarios 25-31): path-policy bypass. Every
// test runs the real gateway in front of backends that record the request
// target they received, so it checks both halves of the rule "the path is
// normalised once, and the same normalised path is matched and forwarded".

// pathRecorder is a backend that records every request target it receives.
type pathRecorder struct {
	name string
	mu   sync.Mutex
	uris []string
}

func (r *pathRecorder) handler(ctx *fasthttp.RequestCtx) {
	r.mu.Lock()
	r.uris = append(r.uris, string(ctx.Request.Header.RequestURI()))
	r.mu.Unlock()
	ctx.SetBodyString(r.name)
}

// take returns and forgets what the backend received.
func (r *pathRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.uris
	r.uris = nil
	return u
}

// rawGet sends one request with the exact request target and returns the
// status code and body.
func rawGet(t *testing.T, addr, target string, hdr ...string) (int, string) {
	t.Helper()
	raw := "GET " + target + " HTTP/1.1\r\nHost: gw.test\r\n"
	for i := 0; i+1 < len(hdr); i += 2 {
		raw += hdr[i] + ": " + hdr[i+1] + "\r\n"
	}
	out := rawRequest(t, addr, raw+"Connection: close\r\n\r\n")
	var code int
	if _, err := fmt.Sscanf(out, "HTTP/1.1 %d", &code); err != nil {
		t.Fatalf("%s: unparsable response %q", target, out)
	}
	_, body, _ := strings.Cut(out, "\r\n\r\n")
	return code, body
}

// policyGateway is an admin rule routed to its own backend behind a global
// rate limit of quota per day (a window no test run crosses; the catalogue
// says 1/min), and everything else to a public backend.
// Which backend a request reached says which rule matched it.
type policyGateway struct {
	h             *gwHarness
	admin, public *pathRecorder
	limited       bool
}

func startPolicyGateway(t *testing.T, adminPattern string, quota int) *policyGateway {
	t.Helper()
	return startPolicyGatewayWith(t, adminPattern, "", quota)
}

// startPolicyGatewayWith is startPolicyGateway with extra keys on the admin
// rule (a YAML fragment such as "strict: true").
func startPolicyGatewayWith(t *testing.T, adminPattern, ruleKeys string, quota int) *policyGateway {
	t.Helper()
	if ruleKeys != "" {
		ruleKeys = "\n      " + ruleKeys
	}
	pg := &policyGateway{admin: &pathRecorder{name: "admin"}, public: &pathRecorder{name: "public"}}
	adminURL, publicURL := startBackend(t, pg.admin.handler), startBackend(t, pg.public.handler)
	pg.h = startGateway(t, fmt.Sprintf(`premier:
  servers: [%q]
  paths:
    - pattern: %q%s
      servers: [%q]
      features:
        rate_limit: {quota: %d, duration: 86400, key: global}
`, publicURL, adminPattern, ruleKeys, adminURL, quota))
	return pg
}

// pathCase is one request target and what must become of it: "400", or
// "admin <target the admin backend receives>", or "public <target the
// public backend receives>".
type pathCase struct{ in, want string }

// check sends each target once. On a limited gateway (quota 1, the token
// already spent) an admin match answers 429 and reaches no backend: every
// variant shares the baseline's bucket.
func (pg *policyGateway) check(t *testing.T, cases []pathCase) {
	t.Helper()
	for _, tc := range cases {
		code, body := rawGet(t, pg.h.addr, tc.in)
		admin, public := pg.admin.take(), pg.public.take()
		var got string
		switch {
		case code == 400 && len(admin)+len(public) == 0:
			got = "400"
		case code == 429 && len(admin)+len(public) == 0:
			got = "admin (429)"
		case code == 200 && body == "admin" && len(admin) == 1 && len(public) == 0:
			got = "admin " + admin[0]
		case code == 200 && body == "public" && len(public) == 1 && len(admin) == 0:
			got = "public " + public[0]
		default:
			got = fmt.Sprintf("%d %q admin=%q public=%q", code, body, admin, public)
		}
		want := tc.want
		if pg.limited && strings.HasPrefix(want, "admin ") {
			want = "admin (429)"
		}
		if got != want {
			t.Errorf("%-34q got %s, want %s", tc.in, got, want)
		}
	}
}

// checkPolicy runs cases twice: on an unlimited gateway, where admin
// matches must reach the admin backend as exactly the normalised path, and
// on a gateway whose admin bucket (quota 1) the baseline has spent, where
// every admin match must answer 429.
func checkPolicy(t *testing.T, pattern, baseline string, cases []pathCase) {
	t.Helper()
	startPolicyGateway(t, pattern, 1000000).check(t, cases)
	pg := startPolicyGateway(t, pattern, 1)
	pg.check(t, []pathCase{{baseline, "admin " + baseline}}) // spends the token
	pg.limited = true
	pg.check(t, cases)
}

func TestPathPolicyDotSegmentsAndSlashes(t *testing.T) { // scenario 25
	checkPolicy(t, "/api/admin/*", "/api/admin/x", []pathCase{
		{"/api/admin/x", "admin /api/admin/x"},
		{"/api//admin/x", "admin /api/admin/x"},
		{"//api/admin/x", "admin /api/admin/x"},
		{"///api///admin///x", "admin /api/admin/x"},
		{"/api/./admin/x", "admin /api/admin/x"},
		{"/api/foo/../admin/x", "admin /api/admin/x"},
		{"/api/admin/x/..", "admin /api/admin/"},
		{"/api/admin/./", "admin /api/admin/"},
		{"/api/admin/.", "admin /api/admin/"},
		{"/api/x/../../api/admin/x", "admin /api/admin/x"},
		{"/../../api/admin/x", "admin /api/admin/x"},
		{"/api/admin/x?q=/../y", "admin /api/admin/x?q=/../y"},
		{"/api/admin/../x", "public /api/x"},
		{"/api/admin/..", "public /api/"},
	})
}

func TestPathPolicyPercentEncoding(t *testing.T) { // scenario 26
	checkPolicy(t, "/api/admin/*", "/api/admin/x", []pathCase{
		{"/api%2fadmin/x", "400"},
		{"/api%2Fadmin/x", "400"},
		{"/api/admin%2fx", "400"},
		{"/api/%2e%2e/api/admin/x", "admin /api/admin/x"},
		{"/api/%2E%2E/api/admin/x", "admin /api/admin/x"},
		{"/x/%2e%2e/api/%2e/admin/x", "admin /api/admin/x"},
		{"/api/.%2e/admin/x", "public /admin/x"},
		{"/api/admin%5cx", "400"},
		{"/api/admin%5Cx", "400"},
		{"/api\\admin\\x", "400"},
		{"/api/%61dmin/x", "admin /api/admin/x"},
		{"/api/%61%64%6D%69%6E/x", "admin /api/admin/x"},
		{"/%61pi/admin/x", "admin /api/admin/x"},
		{"/api/admin%00/x", "400"},
		{"/api/admin/%zz", "400"},
		{"/api/admin/%4", "400"},
		{"/api/admin/x%", "400"},
		{"/api/admin/a%20b", "admin /api/admin/a%20b"},
		{"/api/admin/a%2a%3f", "admin /api/admin/a%2A%3F"},
		{"/api/admin/%3B", "admin /api/admin/%3B"},
		{"/api/admin/%23x", "admin /api/admin/%23x"},
	})
}

func TestPathPolicyDoubleEncoding(t *testing.T) { // scenario 27
	checkPolicy(t, "/api/admin/*", "/api/admin/x", []pathCase{
		{"/api/%2561dmin/x", "public /api/%2561dmin/x"},
		{"/api/%252e%252e/admin/x", "public /api/%252e%252e/admin/x"},
		{"/%2561pi/admin/x", "public /%2561pi/admin/x"},
		{"/api/admin/%252f", "admin /api/admin/%252f"},
		{"/api/%25%36%31dmin/x", "public /api/%2561dmin/x"},
	})
}

func TestPathPolicyMatrixCaseSuffixes(t *testing.T) { // scenario 28
	checkPolicy(t, "/api/admin/*", "/api/admin/x", []pathCase{
		{"/api/admin;x=1/y", "400"},
		{"/api/admin/..;/public", "400"},
		{"/api;/admin/x", "400"},
		{"/api/admin/x;jsessionid=1", "400"},
		{"/API/ADMIN/x", "public /API/ADMIN/x"},
		{"/api/Admin/x", "public /api/Admin/x"},
		{"/api/admin", "public /api/admin"},
		{"/api/admin.json", "public /api/admin.json"},
		{"/api/admin/", "admin /api/admin/"},
		{"/api/admin/x?y=/../z", "admin /api/admin/x?y=/../z"},
		{"/public?x=/api/admin/x", "public /public?x=/api/admin/x"},
		{"/api/admin/x#frag", "400"},
		{"/public#/api/admin/x", "400"},
	})
	// The documented way to cover the prefix with and without the slash, in
	// any case: an anchored, case-insensitive regex.
	checkPolicy(t, "^(?i)/api/admin(/|$)", "/api/admin", []pathCase{
		{"/api/admin", "admin /api/admin"},
		{"/API/ADMIN/x", "admin /API/ADMIN/x"},
		{"/api/Admin/x", "admin /api/Admin/x"},
		{"/api/admin.json", "public /api/admin.json"},
		{"/api/administrator", "public /api/administrator"},
	})
}

func TestPathPolicyUnicode(t *testing.T) { // scenario 29
	checkPolicy(t, "/api/admin/*", "/api/admin/x", []pathCase{
		{"/api/%EF%BD%81dmin/x", "public /api/%EF%BD%81dmin/x"},
		{"/api/adm%C4%B1n/x", "public /api/adm%C4%B1n/x"},
		{"/api/adm\xc4\xb1n/x", "public /api/adm\xc4\xb1n/x"},
		{"/api/admin%E2%80%8B/x", "public /api/admin%E2%80%8B/x"},
		{"/api/admin/\xc3\xa9", "admin /api/admin/\xc3\xa9"},
		{"/api/admin/%C3%A9", "admin /api/admin/%C3%A9"},
		{"/api/%c0%ae%c0%ae/admin/x", "400"},
		{"/api/%c0%af/admin/x", "400"},
		{"/api/\xc0\xae\xc0\xae/admin/x", "400"},
		{"/api/%e0%80%ae/admin/x", "400"},
		{"/api/%ff/admin", "400"},
		{"/api/\xff/admin", "400"},
		{"/api/%ED%A0%80/admin", "400"},
		{"/api/%C3/admin", "400"},
	})
}

// The backend receives the matched target byte for byte even when the
// pipeline parsed the URI on the way (a cache key, a {query.NAME} limiter
// key): fasthttp would otherwise rebuild it from its own decoding.
func TestPathForwardedVerbatimAfterURIParsing(t *testing.T) { // scenarios 25-29
	rec := &pathRecorder{name: "b"}
	h := startGateway(t, configYAML(startBackend(t, rec.handler), `  paths:
    - pattern: /c/*
      features:
        cache: {expire_s: 60}
        rate_limit: {quota: 1000, duration: 86400, key: "{query.k}"}
    - pattern: /q/*
      features:
        rate_limit: {quota: 1000, duration: 86400, key: "{query.k}"}
`))
	for _, prefix := range []string{"/c", "/q"} {
		for _, tc := range []pathCase{
			{"/x/%3Bx=1", "/x/%3Bx=1"},
			{"/x/%23", "/x/%23"},
			{"/x/\xc3\xa9%C3%A9", "/x/\xc3\xa9%C3%A9"},
			{"/x/%2a%3f?k=%20&a=1&&z", "/x/%2A%3F?k=%20&a=1&&z"},
			{"/y/../x/%2561?k=a+b", "/x/%2561?k=a+b"},
			{"/x/a%20b", "/x/a%20b"},
		} {
			code, _ := rawGet(t, h.addr, prefix+tc.in)
			if got := rec.take(); code != 200 || len(got) != 1 || got[0] != prefix+tc.want {
				t.Errorf("%s: %d, backend received %q, want %q", prefix+tc.in, code, got, prefix+tc.want)
			}
		}
	}
}

func TestReservedPrefixOnThePublicListener(t *testing.T) { // scenario 30
	var leaked []string
	var mu sync.Mutex
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if strings.Contains(strings.ToLower(string(ctx.RequestURI())), "premier") {
			mu.Lock()
			leaked = append(leaked, string(ctx.RequestURI()))
			mu.Unlock()
		}
	})
	// With a token, loopback is no pass: this listener is "public" for
	// every client without the token, whatever it claims in its headers.
	h := startGateway(t, configYAML(backend, "  dashboard: {token: s3cret}\n"))
	forged := []string{"X-Forwarded-For", "127.0.0.1", "X-Real-IP", "127.0.0.1", "Forwarded", "for=127.0.0.1"}
	for _, tc := range []struct {
		target string
		want   int
	}{
		{"/__premier", 404}, {"/__premier/", 404}, {"/__premier/api/config", 404},
		{"//__premier/", 404}, {"/x/../__premier/", 404}, {"/%5f%5fpremier/", 404},
		{"/%5F%5F%70remier/api/config", 404}, {"/./__premier/metrics", 404},
		{"/__premier;/", 400}, {"/__premier%2f", 400}, {"/__premier#x", 400}, {"/__premier%00", 400},
		{"/..%2f__premier", 400}, {"/%c0%ae%c0%ae/__premier", 400},
		{"http://127.0.0.1/__premier/api/config", 404},
		{"http://localhost/x/../__premier/", 404},
	} {
		for _, hdr := range [][]string{nil, forged, {"Host", "localhost"}} {
			raw := "GET " + tc.target + " HTTP/1.1\r\n"
			if len(hdr) < 2 || hdr[0] != "Host" {
				raw += "Host: localhost\r\n"
			}
			for i := 0; i+1 < len(hdr); i += 2 {
				raw += hdr[i] + ": " + hdr[i+1] + "\r\n"
			}
			out := rawRequest(t, h.addr, raw+"Connection: close\r\n\r\n")
			if want := fmt.Sprintf("HTTP/1.1 %d", tc.want); !strings.HasPrefix(out, want) {
				t.Errorf("%s %v: %q, want %s", tc.target, hdr, out, want)
			}
		}
	}
	// Case differs: an ordinary path, proxied as such (the backend's 404),
	// never the dashboard.
	if code, body := rawGet(t, h.addr, "/__PREMIER/"); code != 200 || strings.Contains(body, "version") {
		t.Errorf("/__PREMIER/: %d %q", code, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) != 1 || leaked[0] != "/__PREMIER/" {
		t.Fatalf("reserved-prefix requests reached the backend: %q", leaked)
	}
}

func TestPatternPitfalls(t *testing.T) { // scenario 31
	// A pattern without '/' or '^' is refused; a pathological regex fails
	// at load with a clear error; every regex compiles once, at load (RE2:
	// linear-time matching, no ReDoS).
	for pattern, want := range map[string]string{
		"api/admin":             "must start with '/'",
		"^(a{1000}){1000}":      "invalid repeat count",
		"^/api/(admin":          "missing closing )",
		"/api/[admin":           "unbalanced '['",
		"/api/{id":              "unbalanced '{'",
		"^/a/(?P<x>b)/(?P<x>c)": "duplicate capture name",
	} {
		_, err := config.Parse("t.yaml", []byte(fmt.Sprintf("premier:\n  servers: [\"http://127.0.0.1:1\"]\n  paths:\n    - pattern: %q\n", pattern)))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "t.yaml:4:") {
			t.Errorf("pattern %q: error %v, want one at t.yaml:4 mentioning %q", pattern, err, want)
		}
	}
	// Documented semantics: a regex is anchored at the start only ('^' is
	// required), so without '$' it is a prefix match; a glob's '*' crosses
	// '/'; a pattern without wildcards is exact.
	for _, tc := range []struct {
		pattern string
		cases   []pathCase
	}{
		{"^/api/admin", []pathCase{
			{"/api/admin", "admin /api/admin"},
			{"/api/administrator", "admin /api/administrator"},
			{"/public/api/admin", "public /public/api/admin"},
		}},
		{"^/api/admin(/|$)", []pathCase{
			{"/api/admin/x", "admin /api/admin/x"},
			{"/api/administrator", "public /api/administrator"},
		}},
		{"/api/*/admin", []pathCase{
			{"/api/a/admin", "admin /api/a/admin"},
			{"/api/a/b/admin", "admin /api/a/b/admin"},
			{"/api/admin", "public /api/admin"},
		}},
		{"/api/{x}/admin", []pathCase{
			{"/api/a/admin", "admin /api/a/admin"},
			{"/api/a/b/admin", "public /api/a/b/admin"},
		}},
		{"/api/admin", []pathCase{ // with features: its trailing forms too (row 85)
			{"/api/admin", "admin /api/admin"},
			{"/api/admin/", "admin /api/admin/"},
			{"/api/admin/x", "public /api/admin/x"},
		}},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			startPolicyGateway(t, tc.pattern, 1000000).check(t, tc.cases)
		})
	}
}
