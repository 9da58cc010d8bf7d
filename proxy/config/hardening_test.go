package config

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// Hostile config inputs refused by the loader itself; the same inputs
// through a gateway reload are tested in package proxy.

// TestConfigDeepInputRefusedBeforeParsing: deep nesting costs nothing but
// a scan (the parser's work grows with depth × size).
func TestConfigDeepInputRefusedBeforeParsing(t *testing.T) {
	for name, text := range map[string]string{
		"flow":  "premier:\n  keyspace: " + strings.Repeat("[", 400_000) + strings.Repeat("]", 400_000) + "\n",
		"block": "premier:\n  keyspace:\n    " + strings.Repeat("- ", 400_000) + "x\n",
	} {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		_, err := Parse("deep.yaml", []byte(text))
		runtime.ReadMemStats(&m1)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("nested more than %d levels", maxNesting)) {
			t.Errorf("%s: %v", name, err)
		}
		if a := m1.TotalAlloc - m0.TotalAlloc; a > 1<<20 {
			t.Errorf("%s: allocated %d KiB before refusing", name, a>>10)
		}
	}
	// What real configs write still loads: brackets in plain and quoted
	// scalars and comments are not nesting.
	ok := "premier:\n  servers: [\"http://x:1\"]  # [[[[ a comment\n  keyspace: \"[[[[{{{{\"\n  paths:\n" +
		"    - pattern: \"^/v[0-9]+/[a-z]+$\"\n    - pattern: /files/[abc]*\n    - pattern: '/q''x[ab]'\n" +
		"      features:\n        retry: {wait: [[1][0]]}\n"
	if _, err := Parse("ok.yaml", []byte(strings.Replace(ok, "[[1][0]]", "[1, 2]", 1))); err != nil {
		t.Fatalf("a real config was refused: %v", err)
	}
}
