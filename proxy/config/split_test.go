package config

import (
	"strings"
	"testing"
)

func splitRule(features string) string {
	return "premier:\n  paths:\n    - pattern: /api/*\n      features:\n" + features
}

// The split's contract: weighted groups replacing the rule's servers,
// each with its own servers and lb; split_sticky true, false, cookie or ip.
func TestSplitParses(t *testing.T) {
	l, err := Parse("t.yaml", []byte(splitRule(`        split:
          - {weight: 95, servers: ["http://v1:8000"]}
          - {weight: 5,  servers: ["http://v2:8000", {url: "http://v2b:8000", weight: 2}], lb: {algorithm: weighted_round_robin}}
        split_sticky: true
        max_body_bytes: 1048576
`)))
	if err != nil {
		t.Fatal(err)
	}
	f := l.Config.Paths[0].Features
	if len(f.Split) != 2 || f.Split[0].Weight != 95 || f.Split[1].LB == nil || f.Split[1].Servers[1].Weight != 2 ||
		f.SplitSticky != StickyCookie || f.MaxBodyBytes != 1<<20 {
		t.Fatalf("decoded: %+v", f)
	}
	if err := l.Standalone(); err != nil {
		t.Fatalf("a split's servers make a standalone config: %v", err)
	}
	for v, want := range map[string]SplitSticky{"false": StickyOff, "cookie": StickyCookie, "ip": StickyIP} {
		l, err := Parse("t.yaml", []byte(splitRule("        split: [{weight: 1, servers: [\"http://v1:8000\"]}]\n        split_sticky: "+v+"\n")))
		if err != nil || l.Config.Paths[0].Features.SplitSticky != want {
			t.Errorf("split_sticky: %s: %v", v, err)
		}
	}
}

// Mistakes are refused at -check with the key's position.
func TestSplitRefused(t *testing.T) {
	for name, c := range map[string]struct{ text, want string }{
		"weight 0":      {splitRule("        split: [{weight: 0, servers: [\"http://v1:8000\"]}]\n"), "t.yaml:5:18: weight: must be a positive integer"},
		"weight -1":     {splitRule("        split: [{weight: -1, servers: [\"http://v1:8000\"]}]\n"), "weight: must be a positive integer"},
		"no weight":     {splitRule("        split: [{servers: [\"http://v1:8000\"]}]\n"), "weight: must be a positive integer"},
		"weight float":  {splitRule("        split: [{weight: 0.5, servers: [\"http://v1:8000\"]}]\n"), "expected an integer"},
		"huge weight":   {splitRule("        split: [{weight: 1000001, servers: [\"http://v1:8000\"]}]\n"), "up to 1000000"},
		"no servers":    {splitRule("        split: [{weight: 1}]\n"), "servers: required"},
		"empty split":   {splitRule("        split: []\n"), "split: needs at least one group"},
		"bad server":    {splitRule("        split: [{weight: 1, servers: [\"ftp://v1\"]}]\n"), "ftp"},
		"sticky alone":  {"premier:\n  servers: [\"http://v1:8000\"]\n  paths:\n    - pattern: /a\n      features:\n        split_sticky: true\n", "split_sticky: only applies with split"},
		"sticky bogus":  {splitRule("        split: [{weight: 1, servers: [\"http://v1:8000\"]}]\n        split_sticky: always\n"), "split_sticky: want true"},
		"unknown key":   {splitRule("        split: [{weight: 1, servers: [\"http://v1:8000\"], name: v1}]\n"), "unknown key \"name\""},
		"negative body": {"premier:\n  servers: [\"http://v1:8000\"]\n  paths:\n    - pattern: /a\n      features:\n        max_body_bytes: -1\n", "max_body_bytes: must be a positive number"},
		"servers and split": {"premier:\n  paths:\n    - pattern: /api/*\n      servers: [\"http://v0:8000\"]\n      features:\n        split: [{weight: 1, servers: [\"http://v1:8000\"]}]\n",
			"t.yaml:6:9: rule \"/api/*\": split replaces the rule's servers"},
	} {
		_, err := Parse("t.yaml", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// A split group without an lb probes its servers with the top-level
// health check, as a rule's own servers do: -check says so.
func TestSplitInheritedHealthCheckWarns(t *testing.T) {
	l, err := Parse("t.yaml", []byte(`premier:
  servers: ["http://v0:8000"]
  lb: {health_check: {path: /ping}}
  paths:
    - pattern: /api/*
      features:
        split:
          - {weight: 1, servers: ["http://v0:8000"]}
          - {weight: 1, servers: ["http://v2:8000"]}
          - {weight: 1, servers: ["http://v3:8000"], lb: {algorithm: round_robin}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0].Msg, "split group 1: its servers inherit the top-level lb.health_check (probing /ping)") {
		t.Fatalf("warnings: %v", l.Warnings)
	}
}
