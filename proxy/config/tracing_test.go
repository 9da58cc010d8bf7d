package config

import (
	"strings"
	"testing"
)

// TestTracingBlock: the tracing block decodes with its defaults, its
// headers are a mapping each key of which is listed once, its values are
// credentials the config API redacts and restores.
func TestTracingBlock(t *testing.T) {
	l, err := Parse("t.yaml", []byte("premier:\n  servers: [\"http://b:80\"]\n  tracing:\n    otlp_endpoint: http://c:4318\n    headers: {Authorization: \"Bearer s3cret\", X-Team: edge}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tr := l.Config.Tracing
	if tr.SampleRatio != 1 || tr.ServiceName != "premier" || tr.Headers["Authorization"] != "Bearer s3cret" || len(tr.Headers) != 2 {
		t.Fatalf("decoded %+v", tr)
	}
	if l, err := Parse("t.yaml", []byte("premier:\n  servers: [\"http://b:80\"]\n")); err != nil || l.Config.Tracing.Enabled() {
		t.Fatalf("no block: %v, enabled %v", err, l.Config.Tracing.Enabled())
	}
	for text, want := range map[string]string{
		"premier:\n  tracing:\n    headers: {A: x, A: y}\n":     "already defined",
		"premier:\n  tracing:\n    headers: [x]\n":              "expected a mapping",
		"premier:\n  tracing:\n    sample_ratio: 2\n":           "sample_ratio",
		"premier:\n  tracing:\n    otlp_endpoint: \"c:4318\"\n": "otlp_endpoint",
		"premier:\n  tracing:\n    headers: {\"a b\": x}\n":     "not a valid header name",
	} {
		if _, err := Parse("t.yaml", []byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}

	text := []byte("premier:\n  tracing:\n    otlp_endpoint: http://c:4318\n    headers:\n      Authorization: \"Bearer s3cret\"\n      X-Env: ${TEAM}\n")
	red := RedactText(text)
	if strings.Contains(string(red), "s3cret") || !strings.Contains(string(red), "${TEAM}") {
		t.Fatalf("redacted:\n%s", red)
	}
	if back, err := RestoreRedacted(red, text); err != nil || string(back) != string(text) {
		t.Fatalf("restored: %v\n%s", err, back)
	}
}
