package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestCLICheckAccessFeatures: `premier -check` refuses "*" in
// cors.allow_origins with allow_credentials, and a malformed ip_filter
// CIDR, each as FILE:LINE:COL at the value at fault; a valid config with
// both features passes.
func TestCLICheckAccessFeatures(t *testing.T) {
	bad := writeFile(t, "access.yaml", `premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: /api/*
      features:
        ip_filter: {allow: ["10.0.0.0/8", "10.0.0.0/33"]}
        cors: {allow_origins: ["*"], allow_credentials: true}
`)
	_, errOut, code := runCLI(t, "-check", "-config", bad)
	if code != 1 {
		t.Fatalf("exit %d for a bad config: %s", code, errOut)
	}
	for _, want := range []string{
		regexp.QuoteMeta(bad) + `:6:43: "10.0.0.0/33" is not an IP address or CIDR`,
		regexp.QuoteMeta(bad) + `:7:16: allow_origins: "\*" cannot be combined with allow_credentials: true`,
	} {
		if !regexp.MustCompile(want).MatchString(errOut) {
			t.Errorf("missing %s in:\n%s", want, errOut)
		}
	}
	good := writeFile(t, "access-ok.yaml", `premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: /api/*
      features:
        ip_filter: {allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["10.1.2.3/32"]}
        cors: {allow_origins: ["https://app.example.com", "https://*.example.com"], allow_credentials: true, max_age: 600}
`)
	if out, errOut, code := runCLI(t, "-check", "-config", good); code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("valid config: %d %s %s", code, out, errOut)
	}
}
