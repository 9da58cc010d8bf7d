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
