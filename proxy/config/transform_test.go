package config

import (
	"strings"
	"testing"
)

func transformConfig(features string) string {
	return "premier:\n  servers: [\"http://127.0.0.1:9\"]\n  paths:\n    - pattern: \"/x/{id}\"\n      features:\n" + features
}

func TestTransformDecodes(t *testing.T) {
	l, err := Parse("t.yaml", []byte(transformConfig(`        rewrite: {strip_prefix: /x}
        request_headers:
          set: {X-B: 2, X-A: true, X-Id: "{id}-{request_id}"}
          add: {X-C: 1.5}
          remove: [X-D]
        response_headers: {set: {X-E: ""}, always: true}
        redirect: {to: "/y/{id}"}
`)))
	if err != nil {
		t.Fatal(err)
	}
	f := l.Config.Paths[0].Features
	if got := f.RequestHeaders.Set; len(got) != 3 || got[0] != (HeaderField{"X-B", "2"}) || got[1] != (HeaderField{"X-A", "true"}) {
		t.Errorf("set kept in file order with scalar text: %+v", got)
	}
	if f.Redirect.Status != 308 || f.Redirect.Query != QueryKeep || f.Rewrite.Query != QueryKeep {
		t.Errorf("defaults: %+v %+v", f.Redirect, f.Rewrite)
	}
	x := l.Transform(0)
	if x == nil || x.Rewrite == nil || len(x.Request.Set) != 3 || len(x.Request.Add) != 1 || len(x.Request.Remove) != 1 ||
		!x.Response.Always || x.Redirect == nil || x.Redirect.Status != 308 || l.Transform(-1) != nil {
		t.Fatalf("compiled: %+v", x)
	}
}

func TestTransformProblems(t *testing.T) {
	for _, c := range []struct{ features, want string }{
		{"        request_headers: {set: {X-A: }}\n", "needs a value"},
		{"        request_headers: {set: {X-A: [1]}}\n", "must be a string"},
		{"        request_headers: {set: {X-A: a, x-a: b}}\n", "named twice"},
		{"        request_headers: {set: [X-A]}\n", "expected a mapping"},
		{"        request_headers: {}\n", "one of set, add or remove"},
		{"        request_headers:\n          set: {X-Forwarded-For: x}\n", "t.yaml:7:11: set: request_headers.set may not name X-Forwarded-For"},
		{"        response_headers: {remove: [Transfer-Encoding]}\n", "hop-by-hop"},
		{"        redirect: {to: /a, status: 304}\n", "status: must be 301"},
		{"        redirect: {to: \"//evil\"}\n", "names another host"},
		{"        redirect: {to: \"/a\", query: x}\n", "query: must be"},
		{"        redirect: {}\n", "to: required"},
		{"        rewrite: {path: \"/a/{nope}\"}\n", "unknown placeholder {nope}"},
		{"        rewrite: {path: \"/__premier/{id}\"}\n", "reserved prefix"},
		{"        request_headers: {set: {X-A: \"{request_id\"}}\n", "unbalanced"},
	} {
		_, err := Parse("t.yaml", []byte(transformConfig(c.features)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.features, err, c.want)
		}
	}
	// {request_id} is for values: a key made of it never repeats.
	_, err := Parse("t.yaml", []byte(transformConfig("        rate_limit: {quota: 1, duration: 1, key: \"{request_id}\"}\n")))
	if err == nil || !strings.Contains(err.Error(), "unique to each request") {
		t.Errorf("rate-limit key with {request_id}: %v", err)
	}
}
