package config

import (
	"strings"
	"testing"
)

// TestHTTP2Fields: tls.max_concurrent_streams (default 100, 1 to 10000,
// a mistake reported at its key) and the top-level h2c (default false).
func TestHTTP2Fields(t *testing.T) {
	base := "premier:\n  servers: [\"http://x:1\"]\n  tls:\n    certificates:\n      - {cert_file: a.pem, key_file: a.key}\n"
	l, err := Parse("ok.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if l.Config.TLS.MaxConcurrentStreams != 100 || l.Config.H2C {
		t.Errorf("defaults: max_concurrent_streams %d, h2c %v", l.Config.TLS.MaxConcurrentStreams, l.Config.H2C)
	}
	l, err = Parse("ok.yaml", []byte(base+"    max_concurrent_streams: 250\n  h2c: true\n"))
	if err != nil || l.Config.TLS.MaxConcurrentStreams != 250 || !l.Config.H2C {
		t.Fatalf("set: %v %+v", err, l)
	}
	for _, n := range []string{"0", "10001", "-1"} {
		_, err := Parse("bad.yaml", []byte(base+"    max_concurrent_streams: "+n+"\n"))
		want := "bad.yaml:6:5: max_concurrent_streams: must be from 1 to 10000, got " + n
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", n, err, want)
		}
	}
}
