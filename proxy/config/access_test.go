package config

import (
	"strings"
	"testing"
)

// TestConfigAccessFeatures: ip_filter and cors decode per rule and in
// default_features, with their defaults, as the contract writes them.
func TestConfigAccessFeatures(t *testing.T) {
	l, err := Parse("ok.yaml", []byte(`premier:
  servers: [http://127.0.0.1:9]
  paths:
    - pattern: /api/*
      features:
        ip_filter: {allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["10.1.2.3/32"]}
        cors:
          allow_origins: ["https://app.example.com"]
          allow_methods: [GET, POST]
          allow_headers: [Authorization, Content-Type]
          expose_headers: [X-Request-ID]
          allow_credentials: false
          max_age: 600
  default_features:
    cors: {allow_origins: ["*"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	f := l.Config.Paths[0].Features
	if f.IPFilter == nil || len(f.IPFilter.Allow) != 2 || f.IPFilter.Deny[0] != "10.1.2.3/32" {
		t.Fatalf("ip_filter %+v", f.IPFilter)
	}
	if c := f.CORS; c == nil || c.MaxAge != 600 || len(c.AllowMethods) != 2 || c.ExposeHeaders[0] != "X-Request-ID" {
		t.Fatalf("cors %+v", f.CORS)
	}
	if c := l.Config.DefaultFeatures.CORS; c == nil || strings.Join(c.AllowMethods, ",") != "GET,HEAD,POST" || c.MaxAge != 0 {
		t.Fatalf("default cors %+v", c)
	}
}

// TestConfigAccessProblems: a malformed CIDR is an error at its own
// FILE:LINE:COL; "*" with allow_credentials is refused at allow_origins.
func TestConfigAccessProblems(t *testing.T) {
	_, err := Parse("bad.yaml", []byte(`premier:
  servers: [http://127.0.0.1:9]
  paths:
    - pattern: /a
      features:
        ip_filter:
          allow:
            - 10.0.0.0/8
            - 10.0.0.300/8
          deny: [2001:db8::/129, "fe80::1%eth0"]
        cors:
          allow_origins: ["*"]
          allow_credentials: true
    - pattern: /b
      features:
        cors: {allow_origins: ["https://*.*.example.com", "app.example.com"], allow_methods: ["GE T"]}
    - pattern: /c
      features:
        cors: {}
`))
	if err == nil {
		t.Fatal("bad access features accepted")
	}
	for _, want := range []string{
		`bad.yaml:9:15: "10.0.0.300/8" is not an IP address or CIDR`,
		`bad.yaml:10:18: "2001:db8::/129" is not an IP address or CIDR`,
		`bad.yaml:10:34: "fe80::1%eth0" is not an IP address or CIDR`,
		`bad.yaml:12:11: allow_origins: "*" cannot be combined with allow_credentials: true`,
		`bad.yaml:16:16: allow_origins: "https://*.*.example.com"`,
		`allow_origins: "app.example.com" is not an origin`,
		`allow_methods: "GE T" is not a method or header name`,
		`bad.yaml:19:15: allow_origins: required`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
