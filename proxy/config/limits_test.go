package config

import (
	"strings"
	"testing"
)

// limits.max_buffered_body_bytes (issue 15, item 11) must be positive.
func TestMaxBufferedBodyBytesValidated(t *testing.T) {
	for _, v := range []string{"0", "-1"} {
		_, err := Parse("t.yaml", []byte("premier:\n  servers: [\"http://127.0.0.1:1\"]\n  limits: {max_buffered_body_bytes: "+v+"}\n"))
		if err == nil || !strings.Contains(err.Error(), "max_buffered_body_bytes: must be a positive number") {
			t.Errorf("max_buffered_body_bytes: %s: %v", v, err)
		}
	}
	l, err := Parse("t.yaml", []byte("premier:\n  servers: [\"http://127.0.0.1:1\"]\n  limits: {max_buffered_body_bytes: 67108864}\n"))
	if err != nil || l.Config.Limits.MaxBufferedBodyBytes != 64<<20 {
		t.Fatalf("64 MiB: %v", err)
	}
}

// -check warns when no body over the budget could ever be stored.
func TestBodyBudgetBelowMaxEntryWarns(t *testing.T) {
	l, err := Parse("t.yaml", []byte("premier:\n  servers: [\"http://127.0.0.1:1\"]\n  cache: {max_entry_bytes: 16777216}\n  limits: {max_buffered_body_bytes: 8388608}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0].String(), "t.yaml:4:") ||
		!strings.Contains(l.Warnings[0].Msg, "below cache.max_entry_bytes (16777216)") {
		t.Fatalf("warnings: %v", l.Warnings)
	}
	l, err = Parse("t.yaml", []byte("premier:\n  servers: [\"http://127.0.0.1:1\"]\n"))
	if err != nil || len(l.Warnings) != 0 {
		t.Fatalf("defaults warn: %v %v", err, l.Warnings)
	}
}

// limits.lame_duck defaults to 0 (stop accepting at once) and must not be
// negative.
func TestLameDuckValidated(t *testing.T) {
	l, err := Parse("t.yaml", []byte("premier:\n  servers: [\"http://127.0.0.1:1\"]\n"))
	if err != nil || l.Config.Limits.LameDuck != 0 {
		t.Fatalf("default: %v %v", err, l.Config.Limits.LameDuck)
	}
	_, err = Parse("t.yaml", []byte("premier:\n  servers: [\"http://127.0.0.1:1\"]\n  limits: {lame_duck: -1}\n"))
	if err == nil || !strings.Contains(err.Error(), "lame_duck: must be 0 or a positive number of seconds") {
		t.Errorf("-1: %v", err)
	}
	l, err = Parse("t.yaml", []byte("premier:\n  servers: [\"http://127.0.0.1:1\"]\n  limits: {lame_duck: 2.5}\n"))
	if err != nil || l.Config.Limits.LameDuck != 2.5 {
		t.Fatalf("2.5: %v %v", err, l.Config.Limits)
	}
}
