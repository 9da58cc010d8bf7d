package logswitch

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Set changes the level and the format of loggers already derived.
func TestSetSwitchesDerivedLoggers(t *testing.T) {
	var buf bytes.Buffer
	h := New(&buf)
	log := slog.New(h).With("k", "v")
	log.Debug("hidden")
	log.Info("text line")
	if got := buf.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "msg=\"text line\" k=v") {
		t.Fatalf("text at info: %q", got)
	}
	buf.Reset()
	h.Set("debug", "json")
	log.Debug("shown")
	if got := buf.String(); !strings.HasPrefix(got, "{") || !strings.Contains(got, `"msg":"shown","k":"v"`) {
		t.Fatalf("json at debug: %q", got)
	}
	buf.Reset()
	h.Set("error", "text")
	log.Warn("dropped")
	if buf.Len() != 0 {
		t.Fatalf("warn at error level: %q", buf.String())
	}
}
