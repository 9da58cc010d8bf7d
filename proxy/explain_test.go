package proxy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/premier-gateway/premier/ui/source"
)

const explainYAML = `premier:
  servers: ["http://127.0.0.1:9"]
  paths:
    - pattern: "/other"
    - pattern: "/users/*"
      hosts: ["admin.example.com"]
    - pattern: "/users/*"
      methods: [POST]
    - pattern: "/users/*"
      headers: {X-Canary: "1"}
    - pattern: "/users/*"
      query: {v: "^2$"}
    - pattern: "/users/{id}"
      servers: ["http://127.0.0.1:10", "http://127.0.0.1:11"]
      lb: {algorithm: least_conn}
      features:
        ip_filter: {allow: ["127.0.0.0/8"]}
        rate_limit: {quota: 10, duration: 60, key: "{client_ip}:{id}:{scheme}"}
        cache: {expire_s: 30, cache_key: "u:{id}:{query.v}"}
        timeout: {seconds: 2}
        retry: {max_attempts: 3}
        monitoring: {log_threshold: 0.5}
    - pattern: "/open/*"
      features:
        rate_limit: {quota: 10, duration: 60, key: global}
`

func TestExplain(t *testing.T) {
	h := startGateway(t, explainYAML)
	e, err := h.gw.Explain(source.ExplainQuery{URL: "https://API.example.com:8443/users/./42?v=1", ClientIP: "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	skipped := []source.SkippedRule{{Rule: 1, Pattern: "/other", Reason: "path"}, {Rule: 2, Pattern: "/users/*", Reason: "host"}, {Rule: 3, Pattern: "/users/*", Reason: "method"},
		{Rule: 4, Pattern: "/users/*", Reason: "header", Name: "X-Canary"}, {Rule: 5, Pattern: "/users/*", Reason: "query", Name: "v"}}
	if e.Rule != 6 || e.Pattern != "/users/{id}" || e.Path != "/users/42" || e.Host != "API.example.com:8443" || e.Method != "GET" ||
		e.ClientIP != "192.0.2.7" || !reflect.DeepEqual(e.Skipped, skipped) {
		t.Fatalf("explanation %+v", e)
	}
	var names []string
	for _, p := range e.Policies {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "ip_filter rate_limit cache timeout retry monitoring" {
		t.Fatalf("policies %q", got)
	}
	if !reflect.DeepEqual(e.Backends, []string{"http://127.0.0.1:10", "http://127.0.0.1:11"}) || e.LB != "least_conn" {
		t.Fatalf("backends %v %s", e.Backends, e.LB)
	}
	// The keys as the gateway builds them: values length-prefixed, the
	// host in front of a cache_key without {host}, https from the URL.
	if e.RateLimitKey != "9:192.0.2.7:2:42:5:https" || !strings.Contains(e.CacheKey, "u:2:42:1:1") || !strings.Contains(e.CacheKey, "api.example.com") {
		t.Fatalf("keys %q %q", e.RateLimitKey, e.CacheKey)
	}

	// The default client, a method the cache does not serve, the header
	// that picks rule 4.
	e, err = h.gw.Explain(source.ExplainQuery{Method: "delete", URL: "http://x.test/users/1", Headers: []string{"X-Canary: 1"}})
	if err != nil || e.Rule != 4 || e.ClientIP != "127.0.0.1" || e.Method != "DELETE" || len(e.Policies) != 0 || e.CacheKey != "" {
		t.Fatalf("%v %+v", err, e)
	}
	e, _ = h.gw.Explain(source.ExplainQuery{Method: "PUT", URL: "http://x.test/users/1"})
	if e.Rule != 6 || len(e.Notes) == 0 || !strings.Contains(strings.Join(e.Notes, " "), "GET and HEAD") {
		t.Fatalf("PUT: %+v", e)
	}
	e, _ = h.gw.Explain(source.ExplainQuery{URL: "http://x.test/open/1"})
	if e.Rule != 7 || e.RateLimitKey != "global" {
		t.Fatalf("global: %+v", e)
	}
	// No rule: default_features and the global servers.
	e, _ = h.gw.Explain(source.ExplainQuery{URL: "http://x.test/nothing"})
	if e.Rule != 0 || e.Pattern != "default" || len(e.Skipped) != 7 || !reflect.DeepEqual(e.Backends, []string{"http://127.0.0.1:9"}) {
		t.Fatalf("default: %+v", e)
	}
	// Answered before any rule.
	e, _ = h.gw.Explain(source.ExplainQuery{URL: "http://x.test/__premier/api/snapshot"})
	if e.Answered == nil || !strings.Contains(e.Answered.Reason, "reserved prefix") {
		t.Fatalf("reserved: %+v", e)
	}
	e, _ = h.gw.Explain(source.ExplainQuery{URL: "http://x.test/a%2Fb"})
	if e.Answered == nil || e.Answered.Status != 400 {
		t.Fatalf("bad path: %+v", e)
	}
	for _, q := range []source.ExplainQuery{{URL: "/relative"}, {URL: "ftp://x/y"}, {URL: "http://x/", ClientIP: "nope"}, {URL: "http://x/", Headers: []string{"no colon"}}} {
		if _, err := h.gw.Explain(q); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
}

// TestExplainAgreesWithTraffic: the rule Explain names is the one a real
// request gets (the backend's answer says which).
func TestExplainAgreesWithTraffic(t *testing.T) {
	b := matchBackends(t)
	h := startGateway(t, matchYAML(b["fallback"], b))
	for _, c := range []struct {
		method, host, path string
		hdr                map[string]string
		backend            string
	}{
		{"GET", "api.example.com", "/api/x", nil, "hostmethod"},
		{"DELETE", "api.example.com", "/api/x", nil, "host"},
		{"GET", "other.test", "/api/x", map[string]string{"X-Canary": "1"}, "header"},
		{"GET", "other.test", "/api/x?version=v2", nil, "query"},
		{"GET", "other.test", "/nothing", nil, "fallback"},
	} {
		q := source.ExplainQuery{Method: c.method, URL: "http://" + c.host + c.path}
		hdr := map[string]string{"Host": c.host}
		for k, v := range c.hdr {
			q.Headers = append(q.Headers, k+": "+v)
			hdr[k] = v
		}
		e, err := h.gw.Explain(q)
		if err != nil {
			t.Fatal(err)
		}
		_, body := do(t, c.method, h.url+c.path, nil, hdr)
		if !strings.HasPrefix(body, c.backend+" ") || len(e.Backends) != 1 || e.Backends[0] != b[c.backend] {
			t.Errorf("%s %s%s: explain says rule %d (%v), traffic went to %q", c.method, c.host, c.path, e.Rule, e.Backends, body)
		}
	}
}
