package config

import (
	"strings"
	"testing"
)

const secretsText = `premier:
  servers:
    - "http://10.0.0.1:80"
    - {url: 'http://10.0.0.2:80', weight: 2}
  redis:
    url: redis://:hunter2@127.0.0.1:6379/0   # shared limits
  dashboard:
    token: "tok-\"quoted\"-1"
  paths:
    - pattern: /a
      servers: ["http://u:p4ss@10.0.0.3:80", "http://${HOST:-h}:80"]
`

func TestRedactTextHidesLiteralCredentialsOnly(t *testing.T) {
	out := string(RedactText([]byte(secretsText)))
	for _, secret := range []string{"hunter2", "tok-", "quoted", "p4ss"} {
		if strings.Contains(out, secret) {
			t.Errorf("redacted text still holds %q:\n%s", secret, out)
		}
	}
	for _, kept := range []string{
		"url: redis://:<redacted>@127.0.0.1:6379/0   # shared limits",
		`token: "<redacted>"`,
		`"http://u:<redacted>@10.0.0.3:80"`,
		`"http://${HOST:-h}:80"`,
		`{url: 'http://10.0.0.2:80', weight: 2}`,
	} {
		if !strings.Contains(out, kept) {
			t.Errorf("redacted text lacks %q:\n%s", kept, out)
		}
	}
	if strings.Count(out, "\n") != strings.Count(secretsText, "\n") {
		t.Errorf("line count changed:\n%s", out)
	}
	back, err := RestoreRedacted([]byte(out), []byte(secretsText))
	if err != nil || string(back) != secretsText {
		t.Fatalf("restore = %v\n%s\nwant the original", err, back)
	}
}

func TestRedactTextEnvAndBlockScalars(t *testing.T) {
	in := "premier:\n  redis:\n    url: \"redis://:${PW}@h:6379\"\n  dashboard:\n    token: |\n      blocksecret\n"
	out := string(RedactText([]byte(in)))
	if !strings.Contains(out, "${PW}") || strings.Contains(out, "blocksecret") {
		t.Fatalf("redacted:\n%s", out)
	}
	if _, err := Parse("x.yaml", []byte(strings.ReplaceAll(out, "${PW}", "pw"))); err != nil {
		t.Fatalf("redacted text is not valid YAML in place: %v", err)
	}
}

func TestRestoreRedactedRefusesAPlaceholderWithoutItsValue(t *testing.T) {
	old := []byte("premier:\n  redis:\n    url: redis://:pw@h:6379/0\n")
	moved := []byte("premier:\n  redis:\n    url: redis://:<redacted>@evil.example:6379/0\n")
	if _, err := RestoreRedacted(moved, old); err == nil || !strings.Contains(err.Error(), "premier.redis.url") {
		t.Fatalf("a kept password for another host: err = %v, want one naming premier.redis.url", err)
	}
	changed := []byte("premier:\n  redis:\n    url: redis://:new@h:6379/0\n")
	if back, err := RestoreRedacted(changed, old); err != nil || string(back) != string(changed) {
		t.Fatalf("a new literal password: %v %s", err, back)
	}
}
