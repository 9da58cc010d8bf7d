package proxy

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/ui/source"
)

// headerEcho answers every request with the target and the header lines
// it received ("URI <target>\n" then "Name: value" lines), and counts them.
func headerEcho(t *testing.T) (url string, hits *atomic.Int64) {
	hits = new(atomic.Int64)
	url = startBackend(t, func(ctx *fasthttp.RequestCtx) {
		hits.Add(1)
		var b strings.Builder
		fmt.Fprintf(&b, "URI %s\n", ctx.Request.Header.RequestURI())
		for k, v := range ctx.Request.Header.All() {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
		ctx.Response.Header.Set("Server", "echo")
		ctx.Response.Header.Set("X-Backend", "yes")
		ctx.SetBodyString(b.String())
	})
	return url, hits
}

func echoedURI(body string) string {
	line, _, _ := strings.Cut(body, "\n")
	return strings.TrimPrefix(line, "URI ")
}

// echoedHeader returns the values of name the backend echoed.
func echoedHeader(body, name string) []string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, name) {
			out = append(out, v)
		}
	}
	return out
}

func TestRewriteE2E(t *testing.T) {
	be, _ := headerEcho(t)
	h := startGateway(t, configYAML(be, `  paths:
    - pattern: "/api/*"
      features:
        rewrite: {strip_prefix: "/api"}
    - pattern: "/v/*"
      features:
        rewrite: {strip_prefix: "/v", add_prefix: "/v1"}
    - pattern: "/old/*"
      features:
        rewrite: {regex: "^/old/(.*)$", replace: "/new/$1"}
    - pattern: "/users/{id}/profile"
      features:
        rewrite: {path: "/profiles/{id}", query: drop}
    - pattern: "/ver/*"
      features:
        rewrite: {add_prefix: "/internal", query: drop}
    - pattern: "/q/{id}"
      features:
        rewrite: {path: "/by/{query.name}/{id}"}
`))
	for _, c := range []struct{ in, want string }{
		{"/api/users?x=1", "/users?x=1"},
		{"/api", "/api"}, // "/api/*" does not match "/api"
		{"/api/", "/"},
		{"/apix", "/apix"}, // no rule: forwarded as is
		{"/v/items/3", "/v1/items/3"},
		{"/old/a/b?k=v", "/new/a/b?k=v"},
		{"/users/42/profile?secret=1", "/profiles/42"},
		{"/ver/x?y=1", "/internal/ver/x"},
		{"/q/7?name=a%20b", "/by/a%20b/7?name=a%20b"},
		{"/q/7?name=..%2F..%2Fetc", ""}, // a value holding %2F: refused
		{"/q/7?name=x/../../y", ""},     // climbing out of /by/: refused
		{"/q/7?name=a/b", "/by/a/b/7?name=a/b"},
	} {
		resp, body := do(t, "GET", h.url+c.in, nil, nil)
		if c.want == "" {
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", c.in, resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != 200 || echoedURI(body) != c.want {
			t.Errorf("%s: backend got %q (status %d), want %q", c.in, echoedURI(body), resp.StatusCode, c.want)
		}
	}
}

// TestRewriteCannotReachReserved: whatever a request's values make of a
// rewrite, no path under the reserved prefix, no dot segment and no
// double slash reaches a backend.
func TestRewriteCannotReachReserved(t *testing.T) {
	be, hits := headerEcho(t)
	h := startGateway(t, configYAML(be, `  paths:
    - pattern: "/p/*"
      features:
        rewrite: {regex: "^/p/(.*)$", replace: "/$1"}
    - pattern: "/t/{id}"
      features:
        rewrite: {path: "/x/{query.to}"}
`))
	for _, uri := range []string{
		"/p/__premier/api/stats",
		"/p/__premier",
		"/t/1?to=../__premier/api/config",
		"/t/1?to=%2e%2e/__premier",
		"/t/1?to=..%2f__premier",
	} {
		resp, body := do(t, "GET", h.url+uri, nil, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d (%s), want 400", uri, resp.StatusCode, body)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the backend got %d requests, want none", n)
	}
	for _, c := range []struct{ in, want string }{
		{"/t/1?to=a//b", "/x/a/b?to=a//b"},
		{"/t/1?to=..a/b..", "/x/..a/b..?to=..a/b.."},
		{"/t/1?to=x/./y", ""},
		{"/t/1?to=a%3Fb%23c", "/x/a%3Fb%23c?to=a%3Fb%23c"},
	} {
		resp, body := do(t, "GET", h.url+c.in, nil, nil)
		if c.want == "" {
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", c.in, resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != 200 || echoedURI(body) != c.want {
			t.Errorf("%s: backend got %q (status %d), want %q", c.in, echoedURI(body), resp.StatusCode, c.want)
		}
	}
}

func TestBackendBasePathE2E(t *testing.T) {
	be, _ := headerEcho(t)
	h := startGateway(t, `premier:
  servers: ["`+be+`/base/"]
  paths:
    - pattern: "/app/*"
      servers: ["`+be+`/mount/sub"]
      features:
        rewrite: {strip_prefix: "/app"}
`)
	for _, c := range []struct{ in, want string }{
		{"/x/y?q=1", "/base/x/y?q=1"},
		{"/", "/base/"},
		{"/app/z?q=2", "/mount/sub/z?q=2"},
		{"/app/", "/mount/sub/"},
	} {
		resp, body := do(t, "GET", h.url+c.in, nil, nil)
		if resp.StatusCode != 200 || echoedURI(body) != c.want {
			t.Errorf("%s: backend got %q (status %d), want %q", c.in, echoedURI(body), resp.StatusCode, c.want)
		}
	}
}

func TestHeaderRulesE2E(t *testing.T) {
	be, hits := headerEcho(t)
	h := startGateway(t, configYAML(be, `  paths:
    - pattern: "/h/{id}"
      features:
        request_headers:
          set: {X-Env: prod, X-Id: "{id}", X-Who: "{method} {host} {path} {scheme}", X-Q: "{query.v}", X-Client: "{client_ip}"}
          add: {X-Trace: "t-{header.X-In}"}
          remove: [X-Debug]
        response_headers:
          set: {X-Frame-Options: DENY}
          remove: [Server]
          add: {X-Path: "{path}"}
    - pattern: "/cached/*"
      features:
        cache: {expire_s: 60}
        rewrite: {strip_prefix: "/cached"}
        request_headers: {set: {X-Env: cached}}
        response_headers: {set: {X-Rule: "yes"}}
    - pattern: "/limited"
      features:
        rate_limit: {algorithm: fixed_window, quota: 1, duration: 60}
        response_headers: {set: {X-Rule: "yes"}}
    - pattern: "/always"
      features:
        rate_limit: {algorithm: fixed_window, quota: 1, duration: 60}
        response_headers: {set: {X-Rule: "yes"}, always: true}
`))
	resp, body := do(t, "GET", h.url+"/h/42?v=%0d%0aX-Evil:%201", nil, map[string]string{
		"X-Debug": "1", "X-In": "abc", "X-Env": "client", "X-Id": "forged", "Host": "Example.COM:8000"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	want := map[string][]string{
		"X-Env": {"prod"}, "X-Id": {"42"}, "X-Who": {"GET example.com:8000 /h/42 http"},
		"X-Trace": {"t-abc"}, "X-Debug": nil, "X-Q": {"X-Evil: 1"}, "X-Evil": nil, "X-Client": {"127.0.0.1"},
	}
	for name, w := range want {
		if got := echoedHeader(body, name); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("backend got %s %q, want %q\n%s", name, got, w, body)
		}
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Server") != "premier" || // the backend's is gone; the gateway names itself resp.Header.Get("X-Path") != "/h/42" ||
		resp.Header.Get("X-Backend") != "yes" {
		t.Errorf("response headers %v", resp.Header)
	}

	// Rewrite, header rules and the cache together: the cache keys the
	// client's path; a hit gets the response rules too, once.
	check := func(i int) *http.Response {
		resp, body := do(t, "GET", h.url+"/cached/page", nil, nil)
		if resp.StatusCode != 200 || echoedURI(body) != "/page" || fmt.Sprint(echoedHeader(body, "X-Env")) != "[cached]" {
			t.Fatalf("cached: %d %s", resp.StatusCode, body)
		}
		if got := resp.Header.Values("X-Rule"); len(got) != 1 || got[0] != "yes" {
			t.Fatalf("request %d: X-Rule %q", i, got)
		}
		return resp
	}
	for i := 0; check(i).Header.Get("X-Cache") != "HIT"; i++ { // the cache stores in the background
		if i == 200 {
			t.Fatal("the page never became a cache hit")
		}
		time.Sleep(5 * time.Millisecond)
	}
	before := hits.Load()
	for i := 0; i < 3; i++ {
		check(i)
	}
	if n := hits.Load() - before; n != 0 {
		t.Errorf("backend hit %d times for three cache hits", n)
	}

	// The gateway's own answers get response rules only with always.
	for _, c := range []struct {
		path string
		want string
	}{{"/limited", ""}, {"/always", "yes"}} {
		do(t, "GET", h.url+c.path, nil, nil)
		resp, _ := do(t, "GET", h.url+c.path, nil, nil)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Rule") != c.want {
			t.Errorf("%s: status %d, X-Rule %q, want 429 and %q", c.path, resp.StatusCode, resp.Header.Get("X-Rule"), c.want)
		}
	}
}

// TestHeaderRuleCannotForge: a rule naming a header the gateway owns is
// refused at load, and what a client sends never reaches a header rule's
// output as a header of its own.
func TestHeaderRuleCannotForge(t *testing.T) {
	for _, rule := range []string{
		`request_headers: {set: {X-Forwarded-For: "1.2.3.4"}}`,
		`request_headers: {add: {x-forwarded-for: "{header.X-Real}"}}`,
		`request_headers: {set: {Forwarded: "for=1.2.3.4"}}`,
		`request_headers: {set: {X-Forwarded-Proto: https}}`,
		`request_headers: {set: {X-Forwarded-Prefix: /x}}`,
		`request_headers: {set: {X-Real-IP: 1.2.3.4}}`,
		`request_headers: {set: {X-Consumer: admin}}`,
		`request_headers: {set: {X-Client-Cert-CN: admin}}`,
		`request_headers: {add: {Connection: close}}`,
		`request_headers: {set: {Transfer-Encoding: chunked}}`,
		`request_headers: {set: {Proxy-Authorization: x}}`,
		`request_headers: {set: {Host: evil}}`,
		`request_headers: {remove: [X-Forwarded-For]}`,
		`request_headers: {set: {X-Original-URL: /admin}}`,
		`response_headers: {set: {Transfer-Encoding: chunked}}`,
		`response_headers: {set: {Content-Length: "0"}}`,
		`response_headers: {add: {Keep-Alive: "x"}}`,
		`request_headers: {set: {X-A: b}, always: true}`,
		`request_headers: {set: {"X A": b}}`,
		`request_headers: {set: {X-A: "{nope}"}}`,
		`redirect: {to: "//evil.com{path}"}`,
		`redirect: {to: "https://{query.host}/x"}`,
		`redirect: {to: "https://example.com{query.x}"}`,
		`redirect: {to: "evil.com{path}"}`,
		`redirect: {to: "/x", status: 200}`,
		`rewrite: {path: "/__premier/{id}"}`,
		`rewrite: {add_prefix: "/__premier"}`,
		`rewrite: {regex: "^/(.*)$", replace: "/__premier/$1"}`,
		`rewrite: {regex: "^/(.*)$", replace: "/$2"}`,
		`rewrite: {strip_prefix: "/a/../b"}`,
		`rewrite: {path: "/a", strip_prefix: "/b"}`,
		`rewrite: {query: sometimes, strip_prefix: "/b"}`,
	} {
		text := "premier:\n  servers: [\"http://127.0.0.1:9\"]\n  paths:\n    - pattern: \"/x/{id}\"\n      features:\n        " + rule + "\n"
		if _, err := config.Parse("t.yaml", []byte(text)); err == nil {
			t.Errorf("%s: accepted", rule)
		} else if !strings.Contains(err.Error(), "t.yaml:") {
			t.Errorf("%s: error without a position: %v", rule, err)
		}
	}

	be, _ := headerEcho(t)
	h := startGateway(t, configYAML(be, `  paths:
    - pattern: "/f"
      features:
        request_headers: {set: {X-Copy: "{header.X-Forwarded-For}"}, add: {X-Via-Rule: "{query.v}"}}
`))
	_, body := do(t, "GET", h.url+"/f?v=1%0d%0aX-Forwarded-For:%206.6.6.6", nil, map[string]string{"X-Forwarded-For": "6.6.6.6"})
	if got := echoedHeader(body, "X-Forwarded-For"); len(got) != 1 || got[0] != "127.0.0.1" {
		t.Errorf("X-Forwarded-For %q, want the peer alone\n%s", got, body)
	}
	if got := echoedHeader(body, "X-Copy"); len(got) != 1 || got[0] != "127.0.0.1" {
		t.Errorf("X-Copy %q: a rule reads the gateway's sanitised header", got)
	}
	if got := echoedHeader(body, "X-Via-Rule"); len(got) != 1 || got[0] != "1X-Forwarded-For: 6.6.6.6" {
		t.Errorf("X-Via-Rule %q: CR and LF must be dropped from values", got)
	}
}

func TestRedirectE2E(t *testing.T) {
	be, hits := headerEcho(t)
	h := startGateway(t, configYAML(be, `  paths:
    - pattern: "/old/*"
      features:
        ip_filter: {deny: ["127.0.0.0/8"]}
        redirect: {to: "https://example.com{path}"}
    - pattern: "/moved/{id}"
      features:
        redirect: {to: "/items/{id}?from=old", status: 301}
    - pattern: "/go"
      features:
        redirect: {to: "/{query.next}", status: 302, query: drop}
    - pattern: "/q"
      features:
        redirect: {to: "/new?x={query.x}", status: 303, query: drop}
    - pattern: "/h/*"
      features:
        redirect: {to: "https://{host}/secure{path}", status: 307}
`))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest("GET", h.url+path, nil)
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
				continue
			}
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, c := range []struct {
		path, host string
		status     int
		loc        string
	}{
		{"/old/a/b?c=1", "", 308, "https://example.com/old/a/b?c=1"}, // before ip_filter
		{"/old/a/../x", "", 308, "https://example.com/old/x"},
		{"/moved/7?y=2", "", 301, "/items/7?from=old&y=2"},
		{"/go?next=/evil.com", "", 302, "/evil.com"},
		{"/go?next=//evil.com", "", 302, "/evil.com"},
		{"/go?next=%5C%5Cevil.com", "", 302, "/%5C%5Cevil.com"},
		{"/q?x=%0d%0aSet-Cookie:%20a=b", "", 303, "/new?x=%0D%0ASet-Cookie:%20a=b"},
		{"/q?x=%C3%A9", "", 303, "/new?x=%C3%A9"},
		{"/h/p", "www.example.org", 307, "https://www.example.org/secure/h/p"},
	} {
		hdr := map[string]string{}
		if c.host != "" {
			hdr["Host"] = c.host
		}
		resp := get(c.path, hdr)
		if resp.StatusCode != c.status || resp.Header.Get("Location") != c.loc {
			t.Errorf("%s: %d %q, want %d %q", c.path, resp.StatusCode, resp.Header.Get("Location"), c.status, c.loc)
		}
		if resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: a header was injected: Set-Cookie %q", c.path, resp.Header.Get("Set-Cookie"))
		}
	}
	// Raw: a crafted path's bytes stay inside the Location line.
	out := rawRequest(t, h.addr, "GET /old/%0d%0aSet-Cookie:%20x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 308") || strings.Contains(out, "\r\nSet-Cookie") {
		t.Errorf("raw redirect:\n%s", out)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("a redirect reached the backend %d times", n)
	}
}

// TestTransformWebSocket: an upgrade gets the rule's rewrite, its request
// header rules and its server's base path, like any request.
func TestTransformWebSocket(t *testing.T) {
	seen := make(chan string, 4)
	up := websocket.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true }}
	be := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		seen <- fmt.Sprintf("%s %s", ctx.Request.Header.RequestURI(), ctx.Request.Header.Peek("X-Room"))
		_ = up.Upgrade(ctx, func(c *websocket.Conn) {
			defer c.Close()
			mt, msg, err := c.ReadMessage()
			if err == nil {
				_ = c.WriteMessage(mt, msg)
			}
		})
	})
	h := startGateway(t, `premier:
  servers: ["`+be+`/base"]
  paths:
    - pattern: "/ws/{room}"
      features:
        rewrite: {strip_prefix: "/ws"}
        request_headers: {set: {X-Room: "{room}"}}
`)
	c := mustDial(t, wsURL(h, "/ws/lobby?t=1"))
	defer c.Close()
	echo(t, c, websocket.TextMessage, []byte("hi"))
	if got := <-seen; got != "/base/lobby?t=1 lobby" {
		t.Fatalf("backend saw %q", got)
	}
}

// TestRewrittenInRecentRequests: the dashboard's recent requests show
// the request's path and the path the backend got.
func TestRewrittenInRecentRequests(t *testing.T) {
	be, _ := headerEcho(t)
	h := startGateway(t, configYAML(be, `  paths:
    - pattern: "/api/*"
      features:
        rewrite: {strip_prefix: "/api", add_prefix: "/v2"}
`))
	do(t, "GET", h.url+"/api/items?x=1", nil, nil)
	do(t, "GET", h.url+"/other", nil, nil)
	got, _ := h.gw.metrics.Recent(source.RecentFilter{Limit: 2})
	if len(got) != 2 || got[1].Path != "/api/items" || got[1].Rewritten != "/v2/items" || got[0].Path != "/other" || got[0].Rewritten != "" {
		t.Fatalf("%+v", got)
	}
}

// TestRedirectBeforeContinue: a request announcing a body with
// `Expect: 100-continue` gets the redirect instead of the 100, and its
// body is never read.
func TestRedirectBeforeContinue(t *testing.T) {
	be, hits := headerEcho(t)
	h := startGateway(t, configYAML(be, `  paths:
    - pattern: "/up"
      features:
        redirect: {to: "/elsewhere", status: 307}
        response_headers: {set: {X-Rule: "yes"}, always: true}
`))
	out := rawRequest(t, h.addr, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 307") || strings.Contains(out, "100 Continue") ||
		!strings.Contains(out, "\r\nLocation: /elsewhere\r\n") || !strings.Contains(out, "\r\nX-Rule: yes\r\n") {
		t.Fatalf("answer:\n%s", out)
	}
	if hits.Load() != 0 {
		t.Fatal("the backend was asked")
	}
}
