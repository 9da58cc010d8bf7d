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

func TestProblemsQuoteTheSourceTextOfExpandedValues(t *testing.T) {
	t.Setenv("PREMIER_T_URL", "/usr/local/bin:/secret/dir")
	t.Setenv("PREMIER_T_PW", "pw-from-env")
	t.Setenv("PREMIER_T_Q", "lots")
	text := "premier:\n" +
		"  servers:\n" +
		"    - \"${PREMIER_T_URL}\"\n" +
		"    - {url: \"http://u:${PREMIER_T_PW}@h:80\", weight: 1}\n" +
		"    - \"http://u:literal-pw@h:80\"\n" +
		"  redis: {url: \"redis://:${PREMIER_T_PW}@h:6379/x?\", timeout: \"${PREMIER_T_Q}\"}\n" +
		"  paths:\n" +
		"    - pattern: \"${PREMIER_T_Q}\"\n"
	_, err := Parse("x.yaml", []byte(text))
	if err == nil {
		t.Fatal("bad config accepted")
	}
	msg := err.Error()
	for _, secret := range []string{"/secret/dir", "pw-from-env", "lots", "literal-pw"} {
		if strings.Contains(msg, secret) {
			t.Errorf("problems show %q:\n%s", secret, msg)
		}
	}
	for _, want := range []string{`malformed server URL "${PREMIER_T_URL}"`, `"http://u:${PREMIER_T_PW}@h:80"`,
		`"http://u:xxxxx@h:80"`, `got "${PREMIER_T_Q}"`, `pattern "${PREMIER_T_Q}"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems lack %s:\n%s", want, msg)
		}
	}
}

func TestLoadedEnvVars(t *testing.T) {
	t.Setenv("PREMIER_T_A", "http://127.0.0.1:1")
	l, err := Parse("x.yaml", []byte("premier:\n  servers: [\"${PREMIER_T_A}\"]\n  keyspace: \"${PREMIER_T_B:-k}$${NOT_A_VAR}\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(l.EnvVars(), ","); got != "PREMIER_T_A,PREMIER_T_B" {
		t.Fatalf("EnvVars = %s", got)
	}
}

func TestRestoreRedactedRefusesAnAnchoredPlaceholder(t *testing.T) {
	old := []byte("premier:\n  dashboard:\n    token: tok-secret-1\n")
	for _, text := range []string{
		"premier:\n  dashboard:\n    token: &t <redacted>\n    prefix: *t\n",
		"premier:\n  dashboard: &d\n    token: <redacted>\n",
	} {
		back, err := RestoreRedacted([]byte(text), old)
		if err == nil || strings.Contains(err.Error(), "tok-secret-1") || strings.Contains(string(back), "tok-secret-1") {
			t.Errorf("%q: %v %q", text, err, back)
		}
	}
}
