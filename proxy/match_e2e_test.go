package proxy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// namedBackend answers "name method path host" so a test sees which rule's
// servers got the request and what they got.
func namedBackend(t testing.TB, name string) string {
	return startBackend(t, func(ctx *fasthttp.RequestCtx) {
		fmt.Fprintf(ctx, "%s %s %s %s", name, ctx.Method(), ctx.Path(), ctx.Host())
	})
}

// matchYAML is a config whose rules differ only by their criteria, each
// rule with its own backend; fallback (may be "") is the global server.
func matchYAML(fallback string, b map[string]string) string {
	global := ""
	if fallback != "" {
		global = "  servers: [\"" + fallback + "\"]\n"
	}
	return "premier:\n" + global + `  paths:
    - pattern: "/api/*"
      hosts: ["api.example.com", "*.api.example.com"]
      methods: [GET, post]
      servers: ["` + b["hostmethod"] + `"]
    - pattern: "/api/*"
      headers: {X-Canary: "1"}
      servers: ["` + b["header"] + `"]
    - pattern: "/api/*"
      query: {version: "^v[23]$"}
      servers: ["` + b["query"] + `"]
    - pattern: "/api/*"
      hosts: ["API.example.com"]
      servers: ["` + b["host"] + `"]
    - pattern: "/cors/*"
      methods: [PUT]
      servers: ["` + b["cors"] + `"]
      features:
        cors: {allow_origins: ["https://app.example.com"], allow_methods: [PUT]}
`
}

func matchBackends(t *testing.T) map[string]string {
	b := map[string]string{}
	for _, n := range []string{"hostmethod", "header", "query", "host", "cors", "fallback"} {
		b[n] = namedBackend(t, n)
	}
	return b
}

func TestMatchCriteriaE2E(t *testing.T) {
	b := matchBackends(t)
	h := startGateway(t, matchYAML(b["fallback"], b))
	for _, tt := range []struct {
		method, path string
		hdr          map[string]string
		want         string
	}{
		{"GET", "/api/x", map[string]string{"Host": "api.example.com"}, "hostmethod GET /api/x"},
		{"POST", "/api/x", map[string]string{"Host": "API.Example.com:8443"}, "hostmethod POST /api/x"},
		{"GET", "/api/x", map[string]string{"Host": "eu.api.example.com."}, "hostmethod GET /api/x"},
		{"DELETE", "/api/x", map[string]string{"Host": "api.example.com"}, "host DELETE /api/x"},    // method misses: the next host rule
		{"GET", "/api/x", map[string]string{"Host": "a.eu.api.example.com"}, "fallback GET /api/x"}, // two labels: no wildcard
		{"GET", "/api/x", map[string]string{"Host": "example.com"}, "fallback GET /api/x"},
		{"GET", "/api/x", map[string]string{"Host": "other.test", "X-Canary": "1"}, "header GET /api/x"},
		{"GET", "/api/x", map[string]string{"Host": "other.test", "X-Canary": "2"}, "fallback GET /api/x"},
		{"GET", "/api/x?version=v3", map[string]string{"Host": "other.test"}, "query GET /api/x"},
		{"GET", "/api/x?version=v4", map[string]string{"Host": "other.test"}, "fallback GET /api/x"},
		{"GET", "/api/x?version=v33", map[string]string{"Host": "other.test"}, "fallback GET /api/x"},
		{"PUT", "/cors/x", nil, "cors PUT /cors/x"},
		{"GET", "/cors/x", nil, "fallback GET /cors/x"},
	} {
		resp, body := do(t, tt.method, h.url+tt.path, nil, tt.hdr)
		if resp.StatusCode != 200 || !strings.HasPrefix(body, tt.want) {
			t.Errorf("%s %s %v: %d %q, want %q", tt.method, tt.path, tt.hdr, resp.StatusCode, body, tt.want)
		}
	}

	// A CORS preflight counts as the method it announces: the PUT rule
	// answers it (204 from its cors), a preflight for GET is not its own.
	pre := map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}
	if resp, body := do(t, "OPTIONS", h.url+"/cors/x", nil, pre); resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Methods") != "PUT" {
		t.Fatalf("preflight for PUT: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	pre["Access-Control-Request-Method"] = "GET"
	if resp, body := do(t, "OPTIONS", h.url+"/cors/x", nil, pre); resp.StatusCode != 200 || !strings.HasPrefix(body, "fallback OPTIONS") {
		t.Fatalf("preflight for GET: %d %q", resp.StatusCode, body)
	}

	// An absolute-form target's authority is the request's host.
	raw := rawRequest(t, h.addr, "GET http://api.example.com/api/x HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n")
	if !strings.Contains(raw, "hostmethod GET /api/x api.example.com") {
		t.Fatalf("absolute form: %q", raw)
	}
}

// TestMatchNoneIs404: without global servers, a request no rule matches
// (every criterion considered) gets the gateway's 404.
func TestMatchNoneIs404(t *testing.T) {
	b := matchBackends(t)
	h := startGateway(t, matchYAML("", b))
	for _, hdr := range []map[string]string{{"Host": "other.test"}, {"Host": "x.api.example.com", "X-Canary": "2"}} {
		resp, body := do(t, "DELETE", h.url+"/api/x", nil, hdr)
		if resp.StatusCode != 404 || !strings.Contains(body, `"error"`) {
			t.Fatalf("%v: %d %q", hdr, resp.StatusCode, body)
		}
	}
	if resp, body := do(t, "GET", h.url+"/api/x", nil, map[string]string{"Host": "api.example.com"}); resp.StatusCode != 200 || !strings.HasPrefix(body, "hostmethod") {
		t.Fatalf("matching request: %d %q", resp.StatusCode, body)
	}
}

// TestMatchReload: a reload keeps the criteria and applies new ones.
func TestMatchReload(t *testing.T) {
	b := matchBackends(t)
	src := matchYAML(b["fallback"], b)
	h := startGateway(t, src)
	reload := func(text string) {
		t.Helper()
		l, err := config.Parse("r.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.gw.Reload(l); err != nil {
			t.Fatal(err)
		}
	}
	get := func(host string) string {
		t.Helper()
		_, body := do(t, "GET", h.url+"/api/x", nil, map[string]string{"Host": host})
		return body
	}
	reload(src)
	if body := get("api.example.com"); !strings.HasPrefix(body, "hostmethod") {
		t.Fatalf("after reload: %q", body)
	}
	reload(strings.Replace(src, `hosts: ["api.example.com", "*.api.example.com"]`, `hosts: ["new.example.com"]`, 1))
	if body := get("api.example.com"); !strings.HasPrefix(body, "host ") {
		t.Fatalf("old host after reload: %q", body)
	}
	if body := get("new.example.com"); !strings.HasPrefix(body, "hostmethod") {
		t.Fatalf("new host after reload: %q", body)
	}
}
