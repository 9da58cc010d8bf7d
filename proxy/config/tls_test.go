package config

import (
	"strings"
	"testing"
)

// TestTLSBlock: defaults, and every mistake reported at its key.
func TestTLSBlock(t *testing.T) {
	l, err := Parse("ok.yaml", []byte("premier:\n  listen: \"\"\n  servers: [\"http://x:1\"]\n  tls:\n    certificates:\n      - {cert_file: a.pem, key_file: a.key}\n    acme: {domains: [api.example.com]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tl := l.Config.TLS
	if tl.Listen != ":8443" || tl.MinVersion != "1.2" || !tl.HTTP2 || tl.RedirectHTTP || tl.HSTS.MaxAge != 0 ||
		tl.ClientAuth.Mode != ClientAuthNone || tl.ACME.Directory != DefaultACMEDirectory || tl.ACME.Storage != "./acme" {
		t.Errorf("defaults: %+v %+v", tl, tl.ACME)
	}
	if l, err := Parse("plain.yaml", []byte("premier:\n  servers: [\"http://x:1\"]\n")); err != nil || l.Config.TLS != nil {
		t.Fatalf("no tls block: %v", err)
	}

	bad := `premier:
  servers: ["http://x:1"]
  tls:
    listen: "8443"
    min_version: "1.1"
    certificates:
      - {cert_file: a.pem}
    acme: {domains: ["*.example.com"], directory: "http://acme.test/dir", email: "ops", storage: ""}
    hsts: {max_age: -1}
    client_auth: {mode: required}
    http3: true
`
	_, err = Parse("bad.yaml", []byte(bad))
	if err == nil {
		t.Fatal("a bad tls block loaded")
	}
	for _, want := range []string{
		`bad.yaml:4:5: listen: "8443" is not a host:port address`,
		`bad.yaml:5:5: min_version: must be "1.2" or "1.3", got "1.1"`,
		`bad.yaml:7:9: key_file: required`,
		`bad.yaml:8:12: domains: "*.example.com" is a wildcard`,
		`bad.yaml:8:40: directory: must be an https:// URL`,
		`bad.yaml:8:75: email: "ops" is not an email address`,
		`bad.yaml:8:89: storage: must name a directory`,
		`bad.yaml:9:12: max_age: must not be negative`,
		`bad.yaml:10:19: mode: must be none, verify_if_given or require, got "required"`,
		`bad.yaml:11:5: unknown key "http3"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
	for text, want := range map[string]string{
		"premier:\n  listen: \"\"\n  servers: [\"http://x:1\"]\n":                                                             `x.yaml:2:3: listen: "" turns the plain listener off`,
		"premier:\n  servers: [\"http://x:1\"]\n  tls: {min_version: \"1.3\"}\n":                                              `x.yaml:3:3: tls: tls needs certificates or acme`,
		"premier:\n  servers: [\"http://x:1\"]\n  tls:\n    acme: {domains: [a.example]}\n    client_auth: {mode: require}\n": `x.yaml:5:18: ca_file: required with mode require`,
	} {
		if _, err := Parse("x.yaml", []byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}
