package proxy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// echoed is what the echo backend saw.
type echoed struct {
	Method  string              `json:"method"`
	URI     string              `json:"uri"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

func echoBackend(ctx *fasthttp.RequestCtx) {
	e := echoed{Method: string(ctx.Method()), URI: string(ctx.RequestURI()), Host: string(ctx.Host()), Headers: map[string][]string{}, Body: string(ctx.PostBody())}
	for k, v := range ctx.Request.Header.All() {
		e.Headers[string(k)] = append(e.Headers[string(k)], string(v))
	}
	b, _ := json.Marshal(e)
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set("Connection", "X-Resp-Secret")
	ctx.Response.Header.Set("X-Resp-Secret", "leak")
	ctx.Response.Header.Set("Keep-Alive", "timeout=5")
	ctx.Response.Header.Set("Proxy-Foo", "leak")
	ctx.Response.Header.Add("X-Multi-Resp", "1")
	ctx.Response.Header.Add("X-Multi-Resp", "2")
	ctx.SetBody(b)
}

func TestProxyPassThrough(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, echoBackend), ""))
	raw := "PUT /a/b%20c?x=1&y=%20z&x=2 HTTP/1.1\r\nHost: example.test\r\n" +
		"X-Multi: one\r\nX-Multi: two\r\nX-Forwarded-For: 203.0.113.9\r\n" +
		"Connection: close, X-Secret\r\nX-Secret: hop\r\nKeep-Alive: 5\r\nTE: trailers\r\n" +
		"Proxy-Authorization: Basic eA==\r\nProxy-Custom: y\r\nContent-Length: 11\r\n\r\nhello world"
	out := rawRequest(t, h.addr, raw)
	head, body, _ := strings.Cut(out, "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("response: %s", out)
	}
	for _, leak := range []string{"X-Resp-Secret", "Keep-Alive", "Proxy-Foo"} {
		if strings.Contains(head, leak) {
			t.Errorf("response hop-by-hop header %s leaked:\n%s", leak, head)
		}
	}
	if strings.Count(head, "X-Multi-Resp") != 2 {
		t.Errorf("repeated response header lost:\n%s", head)
	}
	var e echoed
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if e.Method != "PUT" || e.URI != "/a/b%20c?x=1&y=%20z&x=2" || e.Host != "example.test" || e.Body != "hello world" {
		t.Errorf("request changed: %+v", e)
	}
	if got := e.Headers["X-Multi"]; len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("repeated header: %v", got)
	}
	for _, hop := range []string{"X-Secret", "Keep-Alive", "Te", "Proxy-Authorization", "Proxy-Custom", "Connection"} {
		if _, ok := e.Headers[hop]; ok {
			t.Errorf("hop-by-hop header %s reached the backend", hop)
		}
	}
	if got := e.Headers["X-Forwarded-For"]; len(got) != 1 || got[0] != "127.0.0.1" { // an untrusted client's value is replaced
		t.Errorf("X-Forwarded-For: %v", got)
	}
	if e.Headers["X-Forwarded-Proto"][0] != "http" || e.Headers["X-Forwarded-Host"][0] != "example.test" {
		t.Errorf("X-Forwarded-*: %v", e.Headers)
	}
}

func TestProxyBackendDownIs502WithoutAddress(t *testing.T) {
	dead := startBackend(t, echoBackend)
	h := startGateway(t, configYAML(dead, ""))
	// Stop the backend by pointing at a port nobody listens on.
	l, _ := config.Parse("x.yaml", []byte(configYAML("http://127.0.0.1:1", "")))
	if err := h.gw.Reload(l); err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, "GET", h.url+"/x", nil, nil)
	if resp.StatusCode != 502 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %q", resp.StatusCode, body)
	}
	if strings.Contains(body, "127.0.0.1") || strings.Contains(body, ":1") {
		t.Fatalf("backend address leaked: %s", body)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(body), &m); err != nil || m["error"] == "" {
		t.Fatalf("not a JSON error: %q", body)
	}
}

func TestProxyTimeout(t *testing.T) {
	slow := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		time.Sleep(time.Second)
		ctx.SetBodyString("late")
	})
	h := startGateway(t, configYAML(slow, `  paths:
    - pattern: /custom
      features:
        timeout: {seconds: 0.1, error_status: 408, error_message: "too \"slow\" \\ here"}
  default_features:
    timeout: {seconds: 0.1}
`))
	resp, body := do(t, "GET", h.url+"/x", nil, nil)
	if resp.StatusCode != 504 || body != `{"error":"Request timeout"}` {
		t.Fatalf("default timeout: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", h.url+"/custom", nil, nil)
	var m map[string]string
	if resp.StatusCode != 408 || json.Unmarshal([]byte(body), &m) != nil || m["error"] != `too "slow" \ here` {
		t.Fatalf("custom timeout: %d %s", resp.StatusCode, body)
	}
}

func TestProxyLimits(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, echoBackend), "  limits:\n    max_header_bytes: 2048\n    max_body_bytes: 1000\n"))
	big := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 4096) + "\r\nConnection: close\r\n\r\n"
	if out := rawRequest(t, h.addr, big); !strings.HasPrefix(out, "HTTP/1.1 431") {
		t.Fatalf("oversized headers: %.200s", out)
	}
	resp, _ := do(t, "POST", h.url+"/", strings.NewReader(strings.Repeat("b", 1001)), nil)
	if resp.StatusCode != 413 {
		t.Fatalf("oversized body: %d", resp.StatusCode)
	}
	resp, _ = do(t, "POST", h.url+"/", strings.NewReader(strings.Repeat("b", 1000)), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("body at the limit: %d", resp.StatusCode)
	}
	if out := rawRequest(t, h.addr, "GARBAGE\r\n\r\n"); !strings.HasPrefix(out, "HTTP/1.1 400") {
		t.Fatalf("malformed request: %.200s", out)
	}
}

func TestRoundRobinAcrossServers(t *testing.T) {
	var a, b atomic.Int32
	ua := startBackend(t, func(ctx *fasthttp.RequestCtx) { a.Add(1) })
	ub := startBackend(t, func(ctx *fasthttp.RequestCtx) { b.Add(1) })
	h := startGateway(t, fmt.Sprintf("premier:\n  servers: [%q, %q]\n", ua, ub))
	for i := 0; i < 10; i++ {
		if resp, _ := do(t, "GET", h.url+"/", nil, nil); resp.StatusCode != 200 {
			t.Fatal(resp.Status)
		}
	}
	if a.Load() != 5 || b.Load() != 5 {
		t.Fatalf("round robin split %d/%d", a.Load(), b.Load())
	}
}

func TestPerPathServersAndFirstMatchWins(t *testing.T) {
	api := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("api") })
	def := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("default") })
	h := startGateway(t, configYAML(def, fmt.Sprintf(`  paths:
    - pattern: "^/api/v[0-9]+/.*$"
      servers: [%q]
    - pattern: "/api/*"
`, api)))
	for path, want := range map[string]string{"/api/v2/x": "api", "/api/other": "default", "/x": "default"} {
		if _, body := do(t, "GET", h.url+path, nil, nil); body != want {
			t.Errorf("%s → %q, want %q", path, body, want)
		}
	}
}

func TestReservedPrefixNeverForwarded(t *testing.T) {
	var leaked atomic.Int32
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if strings.Contains(strings.ToLower(string(ctx.RequestURI())), "premier") {
			leaked.Add(1)
		}
	})
	h := startGateway(t, configYAML(backend, ""))
	for _, p := range []string{"/__premier", "/__premier/", "//__premier", "/./__premier", "/x/../__premier",
		"/%5F_premier", "/__premier/../__premier/", "/__prem%69er", "///__premier//", "/x/%2e%2e/__premier"} {
		resp, body := do(t, "GET", h.url+p, nil, nil)
		if resp.StatusCode == 200 && !strings.Contains(body, `"version"`) {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	for _, p := range []string{"/__premier%2fx", "/__premier%00", "/%2e%2e/__premier\\"} {
		if resp, _ := do(t, "GET", h.url+p, nil, nil); resp.StatusCode != 400 {
			t.Errorf("%s: %d, want 400", p, resp.StatusCode)
		}
	}
	if leaked.Load() != 0 {
		t.Fatalf("%d requests for the reserved prefix reached the backend", leaked.Load())
	}
	resp, body := do(t, "GET", h.url+"/__premier", nil, nil)
	var st Status
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &st) != nil || st.Version != Version || st.ConfigFile != "test.yaml" {
		t.Fatalf("status page: %d %s", resp.StatusCode, body)
	}
}

func TestReservedPrefixToken(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, echoBackend), "  dashboard:\n    prefix: /_gw\n    token: s3cret\n"))
	if resp, _ := do(t, "GET", h.url+"/_gw", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("without token: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", h.url+"/_gw", nil, map[string]string{"Authorization": "Bearer wrong!"}); resp.StatusCode != 404 {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", h.url+"/_gw", nil, map[string]string{"Authorization": "Bearer s3cret"}); resp.StatusCode != 200 {
		t.Fatalf("with token: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", h.url+"/__premier", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("the default prefix is an ordinary path once moved: %d", resp.StatusCode)
	}
}

func TestSlowRequestsLogged(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/slow" {
			time.Sleep(150 * time.Millisecond)
		}
	})
	h := startGateway(t, configYAML(backend, "  paths:\n    - pattern: \"/s*\"\n      features:\n        monitoring: {log_threshold: 0.1}\n"))
	do(t, "GET", h.url+"/sfast", nil, nil)
	do(t, "GET", h.url+"/slow", nil, nil)
	logs := h.logs.String()
	if strings.Contains(logs, "/sfast") {
		t.Errorf("fast request logged: %s", logs)
	}
	for _, want := range []string{"slow request", "rule=/s*", "request_id=", "method=GET", "path=/slow", "status=200", "duration=", "backend=http://127.0.0.1:"} {
		if !strings.Contains(logs, want) {
			t.Errorf("slow log lacks %q: %s", want, logs)
		}
	}
}

func TestPanicRecovered(t *testing.T) {
	l, err := config.Parse("p.yaml", []byte("premier:\n  paths: [{pattern: /boom}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(l, WithHandler(func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/boom" {
			panic("kaboom")
		}
		ctx.SetBodyString("fine")
	}), WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	h := serveGateway(t, gw)
	resp, body := do(t, "GET", h+"/boom", nil, nil)
	if resp.StatusCode != 500 || strings.Contains(body, "kaboom") {
		t.Fatalf("panic: %d %s", resp.StatusCode, body)
	}
	if _, body := do(t, "GET", h+"/ok", nil, nil); body != "fine" {
		t.Fatalf("after panic: %s", body)
	}
}

func TestNotStandaloneRefused(t *testing.T) {
	l, err := config.LoadFile("../configs/seed-quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(l); err == nil || !strings.Contains(err.Error(), "plugin-mode") {
		t.Fatalf("New without servers or handler: %v", err)
	}
}

var _ = http.StatusOK

func TestMaxConnections(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, echoBackend), "  limits: {max_connections: 2}\n"))
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")) // headers never finished
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond)
	if out := rawRequest(t, h.addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); !strings.HasPrefix(out, "HTTP/1.1 503") {
		t.Fatalf("connection over max_connections: %.100q", out)
	}
	for _, c := range held {
		c.Close()
	}
}

// The Cookie line reaches the backend as the client sent it: fasthttp
// would re-serialise parsed cookies (quotes dropped, "; " separators,
// values it finds invalid left out).
func TestCookieForwardedVerbatim(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBody(ctx.Request.Header.RawHeaders()) })
	h := startGateway(t, configYAML(backend, ""))
	const a, b = `a=1;b="x y"; flag; c=é,d`, `second=2`
	out := rawRequest(t, h.addr, "GET /x HTTP/1.1\r\nHost: gw\r\nCookie: "+a+"\r\nCookie: "+b+
		"\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Real-IP: 6.6.6.6\r\nConnection: close\r\n\r\n")
	for _, want := range []string{"\r\nCookie: " + a + "\r\n", "\r\nCookie: " + b + "\r\n"} {
		if !strings.Contains(out, want) {
			t.Fatalf("backend did not get %q verbatim; got:\n%q", want, out)
		}
	}
	if strings.Index(out, a) > strings.Index(out, b) {
		t.Fatalf("Cookie lines reordered:\n%s", out)
	}
	if strings.Contains(out, "X-Hop") || strings.Contains(out, "6.6.6.6") {
		t.Fatalf("hop-by-hop or forged forwarding header forwarded:\n%s", out)
	}
	out = rawRequest(t, h.addr, "GET /x HTTP/1.1\r\nHost: gw\r\nCookie: "+a+"\r\nConnection: close\r\n\r\n")
	if !strings.Contains(out, "\r\nCookie: "+a+"\r\n") {
		t.Fatalf("one Cookie line not forwarded verbatim:\n%q", out)
	}
}
