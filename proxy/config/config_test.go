package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSeedExamplesLoad(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	if len(files) < 4 {
		t.Fatalf("expected the seed examples and demo config in configs/, found %v", files)
	}
	for _, f := range files {
		l, err := LoadFile(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if l.Config.Listen != ":8000" && !strings.Contains(f, "demo") {
			t.Errorf("%s: listen default = %q", f, l.Config.Listen)
		}
	}
}

func TestSeedDefaults(t *testing.T) {
	l, err := LoadFile("../../configs/seed-complete.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config
	if c.Keyspace != "production-api" || len(c.Servers) != 2 || c.Servers[1].URL != "http://backend2:8000" || c.Servers[0].Weight != 1 {
		t.Fatalf("top level: %+v", c)
	}
	users := c.Paths[0].Features
	if users.Cache == nil || users.Cache.ExpireS != 300 {
		t.Fatalf("cache: %+v", users.Cache)
	}
	rl := users.RateLimit
	if rl.Quota != 1000 || rl.Duration != 60 || rl.Algorithm != "sliding_window" || rl.ErrorMessage != "Rate limit exceeded for user API" || rl.Key != "{client_ip}" {
		t.Fatalf("rate_limit: %+v", rl)
	}
	if r := users.Retry; r.MaxAttempts != 3 || len(r.Wait) != 3 || r.Wait[2] != 4 {
		t.Fatalf("retry: %+v", r)
	}
	if cb := users.CircuitBreaker; cb.FailureThreshold != 5 || cb.RecoveryTimeout != 60 || cb.ExpectedException != "Exception" {
		t.Fatalf("breaker: %+v", cb)
	}
	admin := c.Paths[1].Features
	if admin.Timeout.ErrorStatus != 408 || admin.RateLimit.ErrorStatus != 403 || admin.Monitoring.LogThreshold != 0.5 {
		t.Fatalf("admin: %+v %+v", admin.Timeout, admin.RateLimit)
	}
	d := c.DefaultFeatures
	if d.RateLimit.Algorithm != "fixed_window" || d.Timeout.ErrorStatus != 504 || d.Timeout.ErrorMessage != "Request timeout" {
		t.Fatalf("defaults: %+v %+v", d.RateLimit, d.Timeout)
	}
	lim := c.Limits
	if lim.ReadTimeout != 30 || lim.MaxHeaderBytes != 16384 || lim.MaxBodyBytes != 100<<20 || lim.MaxBufferedBodyBytes != 256<<20 || c.Dashboard.Prefix != "/__premier" {
		t.Fatalf("limits/dashboard defaults: %+v %+v", lim, c.Dashboard)
	}
}

func TestProblemsAllAtOnceWithPositions(t *testing.T) {
	src := `premier:
  keyspace: 12
  bogus: true
  servers: ["ftp://x", "http://ok:1", {url: "http://a:2", weight: 0}]
  paths:
    - pattern: "^/bad("
      features:
        rate_limit:
          quota: 0
          duration: -1
          algorithm: "leaky"
    - pattern: "/ok/*"
      features:
        timeout:
          seconds: 0
        retry:
          max_attempts: "three"
        cahce: {}
`
	_, err := Parse("bad.yaml", []byte(src))
	var ce Problems
	if !errors.As(err, &ce) {
		t.Fatalf("want Problems, got %v", err)
	}
	want := []string{
		"bad.yaml:2:13: expected a string",
		"bad.yaml:3:3: unknown key \"bogus\"",
		"bad.yaml:4:13: url: malformed server URL \"ftp://x\"",
		"weight: must be a positive integer",
		"bad.yaml:6:7: pattern \"^/bad(\"",
		"bad.yaml:9:11: quota: must be a positive integer",
		"bad.yaml:10:11: duration: must be a positive",
		"bad.yaml:11:11: algorithm: unknown algorithm \"leaky\"",
		"bad.yaml:15:11: seconds: must be a positive",
		"bad.yaml:17:25: expected an integer",
		"bad.yaml:18:9: unknown key \"cahce\"",
	}
	text := err.Error()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
	if len(ce) != len(want) {
		t.Errorf("got %d errors, want %d:\n%s", len(ce), len(want), text)
	}
}

func TestConfigEnvExpansion(t *testing.T) {
	t.Setenv("PREMIER_TEST_BACKEND", "http://127.0.0.1:9999")
	t.Setenv("PREMIER_TEST_QUOTA", "7")
	src := `premier:
  servers: ["${PREMIER_TEST_BACKEND}"]
  keyspace: "${PREMIER_TEST_UNSET:-fallback}-$${literal}"
  paths:
    - pattern: /x
      features:
        rate_limit: {quota: "${PREMIER_TEST_QUOTA}", duration: 1}
`
	l, err := Parse("env.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.Servers[0].URL != "http://127.0.0.1:9999" || l.Config.Keyspace != "fallback-${literal}" || l.Config.Paths[0].Features.RateLimit.Quota != 7 {
		t.Fatalf("%+v", l.Config)
	}
	_, err = Parse("env.yaml", []byte("premier:\n  keyspace: \"${PREMIER_TEST_SURELY_UNSET}\"\n"))
	if err == nil || !strings.Contains(err.Error(), "env.yaml:2:13: environment variable PREMIER_TEST_SURELY_UNSET is not set") {
		t.Fatalf("unset env: %v", err)
	}
}

func TestConfigPluginModeWarns(t *testing.T) {
	l, err := LoadFile("../../configs/seed-quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Standalone(); err == nil {
		t.Fatal("a config without servers must not run standalone")
	}
	if !strings.Contains(warnings(l), "plugin-mode config") {
		t.Fatalf("warnings: %v", l.Warnings)
	}
}

func TestConfigShadowedRuleWarns(t *testing.T) {
	src := `premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: "/api/*"
    - pattern: "/api/users/*"
`
	l, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if w := warnings(l); !strings.Contains(w, "s.yaml:5:7: warning: rule 2 (\"/api/users/*\") can never match") {
		t.Fatalf("warnings: %q", w)
	}
	// The same finding as a value: what the dashboard reads.
	if p := l.Warnings[0]; p.File != "s.yaml" || p.Line != 5 || p.Col != 7 || p.Severity != SeverityWarning ||
		!strings.HasPrefix(p.Msg, "rule 2 (") {
		t.Fatalf("warning value: %+v", p)
	}
}

// warnings is l's warnings as `premier -check` prints them.
func warnings(l *Loaded) string {
	lines := make([]string, len(l.Warnings))
	for i, w := range l.Warnings {
		lines[i] = w.String()
	}
	return strings.Join(lines, "\n")
}

func TestConfigHostileInput(t *testing.T) {
	bomb := "premier:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		bomb += "  " + name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = name
	}
	cases := map[string][]byte{
		"empty":    []byte("  \n"),
		"binary":   {0x00, 0xff, 0xfe, 0x01},
		"no root":  []byte("paths: []\n"),
		"scalar":   []byte("just a string\n"),
		"list":     []byte("- a\n- b\n"),
		"syntax":   []byte("premier:\n  paths: [\n"),
		"huge":     make([]byte, MaxFileBytes+1),
		"bomb":     []byte(bomb),
		"nested":   []byte("premier:\n  keyspace: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"),
		"two docs": []byte("premier: {}\n---\npremier: {}\n"),
	}
	for name, data := range cases {
		_, err := Parse("h.yaml", data)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "h.yaml") {
			t.Errorf("%s: error without file name: %v", name, err)
		}
	}
}

func TestConfigFileMissing(t *testing.T) {
	_, err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatal(err)
	}
	if _, err := os.Stat("../../configs/demo.yaml"); err != nil {
		t.Fatal(err)
	}
}

// TestConfigInheritedHealthCheckWarns: a rule's own servers without an lb
// block of their own are probed with the top-level lb.health_check; -check
// says so where the servers are written, and says what to do.
func TestConfigInheritedHealthCheckWarns(t *testing.T) {
	const head = `premier:
  servers: ["http://127.0.0.1:1"]
  lb: {health_check: {path: /healthz}}
  paths:
    - pattern: /admin/*
`
	cases := map[string]struct {
		rule string
		warn bool
	}{
		"own servers, no lb":               {"      servers: [\"http://127.0.0.1:2\"]\n", true},
		"own lb without health_check":      {"      servers: [\"http://127.0.0.1:2\"]\n      lb: {algorithm: least_conn}\n", false},
		"own lb with its own health_check": {"      servers: [\"http://127.0.0.1:2\"]\n      lb: {health_check: {path: /ping}}\n", false},
		"the top-level servers again":      {"      servers: [\"http://127.0.0.1:1\"]\n", false},
		"no servers of its own":            {"      features: {timeout: {seconds: 1}}\n", false},
	}
	for name, c := range cases {
		l, err := Parse("hc.yaml", []byte(head+c.rule))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var found []Problem
		for _, w := range l.Warnings {
			if strings.Contains(w.Msg, "health_check") {
				found = append(found, w)
			}
		}
		if !c.warn {
			if len(found) > 0 {
				t.Errorf("%s: unexpected warning %v", name, found)
			}
			continue
		}
		if len(found) != 1 {
			t.Fatalf("%s: want one warning, got %v", name, l.Warnings)
		}
		w := found[0]
		if w.Line != 6 || w.Col != 7 || w.Severity != SeverityWarning {
			t.Errorf("%s: warning at %d:%d severity %v, want 6:7 warning", name, w.Line, w.Col, w.Severity)
		}
		for _, part := range []string{`rule "/admin/*"`, "/healthz", "its own `lb` with a health_check", "an `lb` block without health_check", "route fails"} {
			if !strings.Contains(w.Msg, part) {
				t.Errorf("%s: %q does not say %q", name, w.Msg, part)
			}
		}
		if s := w.String(); !strings.HasPrefix(s, "hc.yaml:6:7: warning: rule \"/admin/*\"") {
			t.Errorf("%s: printed as %q", name, s)
		}
	}
	// Without a top-level health_check nothing is inherited to warn about.
	l, err := Parse("hc.yaml", []byte(strings.Replace(head, "lb: {health_check: {path: /healthz}}", "lb: {algorithm: least_conn}", 1)+cases["own servers, no lb"].rule))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) != 0 {
		t.Errorf("no top-level health_check: %v", l.Warnings)
	}
}

func TestConfigCacheKeyWithoutHostWarns(t *testing.T) {
	src := `premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: "/api/users/{user_id}"
      features:
        cache: {cache_key: "user:{user_id}"}
    - pattern: "/shared/{id}"
      features:
        cache: {cache_key: "s:{id}", shared_across_hosts: true}
    - pattern: "/hosted/{id}"
      features:
        cache: {cache_key: "{host}:{id}"}
`
	l, err := Parse("k.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// Only the first rule: the second shares on purpose, the third keys on
	// the host itself.
	if len(l.Warnings) != 1 {
		t.Fatalf("warnings: %q", warnings(l))
	}
	if w := l.Warnings[0].String(); !strings.HasPrefix(w, `k.yaml:6:17: warning: cache_key "user:{user_id}" has no {host}: the host is added`) ||
		!strings.Contains(w, "shared_across_hosts: true") {
		t.Fatalf("warning: %q", w)
	}
	if !l.Config.Paths[1].Features.Cache.SharedAcrossHosts {
		t.Fatal("shared_across_hosts not decoded")
	}
}

// TestConfigPipelineWarns: lb.pipeline is opt-in trust in the backend's
// framing; -check says so wherever it is on, at the key.
func TestConfigPipelineWarns(t *testing.T) {
	src := `premier:
  servers: ["http://127.0.0.1:1"]
  lb: {pipeline: 2}
  paths:
    - pattern: "/api/*"
      servers: ["http://127.0.0.1:2"]
      lb:
        pipeline: 1
    - pattern: "/plain/*"
      servers: ["http://127.0.0.1:3"]
      lb: {pipeline: 0}
`
	l, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(warnings(l), "\n")
	if len(got) != 2 {
		t.Fatalf("warnings: %q", got)
	}
	if !strings.HasPrefix(got[0], "p.yaml:3:8: warning: lb.pipeline: 2: responses are matched to requests by order") ||
		!strings.HasPrefix(got[1], `p.yaml:8:9: warning: rule "/api/*": lb.pipeline: 1:`) {
		t.Fatalf("warnings: %q", got)
	}
	for _, w := range got {
		if !strings.Contains(w, "more body than its Content-Length") || !strings.Contains(w, "whose framing you trust") {
			t.Errorf("warning does not explain the risk: %q", w)
		}
	}
}
