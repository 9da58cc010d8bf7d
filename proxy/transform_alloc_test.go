//go:build !race

package proxy

import (
	"testing"
)

// TestTransformZeroAllocs: the rewrite and header-rule stage (a strip and
// add prefix, a path template, a regex, request and response rules with
// templates, the removal of a header the backend's response carries), a base-path
// server and a cache hit with response rules allocate nothing.
func TestTransformZeroAllocs(t *testing.T) {
	g := newInmemGatewayConfig(t, `premier:
  servers: ["http://backend.internal:80/base"]
  paths:
    - pattern: /api/*
      features:
        rewrite: {strip_prefix: /api, add_prefix: /v1}
        request_headers:
          set: {X-Env: prod, X-Client: "{client_ip}", X-Id: "{request_id}"}
          add: {X-Trace: "{method} {host}{path}?{query.x}"}
          remove: [X-Debug]
        response_headers: {set: {X-Frame-Options: DENY}, remove: [Server], add: {X-Path: "{path}"}}
    - pattern: /users/{id}
      features:
        rewrite: {path: "/people/{id}/{query.tab}"}
    - pattern: /old/*
      features:
        rewrite: {regex: "^/old/(.*)$", replace: "/new/$1", query: drop}
    - pattern: /cached/*
      features:
        cache: {expire_s: 3600}
        rewrite: {strip_prefix: /cached}
        response_headers: {set: {X-Rule: "yes"}}
`)
	for _, uri := range []string{"/api/users/42?x=1", "/users/7?tab=home", "/old/a/b?q=1", "/cached/page"} {
		g.warm(t, uri, uri == "/cached/page")
		if n := testing.AllocsPerRun(200, func() { g.do(t, uri) }); n != 0 {
			t.Errorf("%s: %v allocations per request, want 0", uri, n)
		}
	}
	if string(g.ctx.Response.Header.Peek("X-Rule")) != "yes" || string(g.ctx.Response.Header.Peek("X-Cache")) != "HIT" {
		t.Fatalf("the cache hit went without its response rule:\n%s", g.ctx.Response.Header.String())
	}
	g.do(t, "/api/users/42?x=1")
	if string(g.ctx.Response.Header.Peek("X-Frame-Options")) != "DENY" || len(g.ctx.Response.Header.Peek("Server")) != 0 {
		t.Fatalf("response rules not applied:\n%s", g.ctx.Response.Header.String())
	}
}
