package main

import (
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// The secrets of TestSecretsNeverLeaveTheGateway: each must never appear
// in an answer, a log line or -check's output.
const (
	envSecret     = "env-secret-4711"   // $PREMIER_TEST_SECRET, which the file uses
	otherSecret   = "other-secret-0815" // $PREMIER_TEST_OTHER, which it does not
	tokenSecret   = "literal-dash-token-99"
	redisSecret   = "literal-redis-pw"
	serverSecret  = "literal-server-pw"
	redactedValue = "<redacted>"
)

// configAPI calls the running binary's dashboard API with the token.
func configAPI(t *testing.T, url, token, method, path string, body any) (int, string) {
	t.Helper()
	var text string
	if body != nil {
		b, _ := json.Marshal(body)
		text = string(b)
	}
	return send(t, method, url+"/__premier/api"+path, text, map[string]string{"Authorization": "Bearer " + token})
}

func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{envSecret, otherSecret, tokenSecret, redisSecret, serverSecret} {
		if strings.Contains(s, secret) {
			t.Errorf("%s shows the secret %q:\n%s", what, secret, s)
		}
	}
}

// TestSecretsNeverLeaveTheGateway: catalogue row 81, with the real binary
// and its dashboard API. Messages quote ${ENV} source text, never the
// value; URLs are shown without their password; an edited text may use
// only the variables the file on disk uses; the config API redacts the
// token and the Redis password written in the file, and an apply that
// keeps the placeholders keeps those values byte for byte.
func TestSecretsNeverLeaveTheGateway(t *testing.T) {
	t.Setenv("PREMIER_TEST_SECRET", envSecret)
	t.Setenv("PREMIER_TEST_OTHER", otherSecret)
	be := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	text := "premier:\n" +
		"  keyspace: \"ks-${PREMIER_TEST_SECRET}\"\n" +
		"  servers: [\"" + be + "\"]\n" +
		"  redis:\n" +
		"    url: redis://:" + redisSecret + "@127.0.0.1:1/0   # nothing listens: limits stay local\n" +
		"  dashboard:\n" +
		"    token: " + tokenSecret + "\n" +
		"  paths:\n" +
		"    - pattern: /a\n"
	cfg := writeFile(t, "gw.yaml", text)
	cmd, url, logs := startBinary(t, cfg)
	api := func(method, path string, body any) (int, string) {
		return configAPI(t, url, tokenSecret, method, path, body)
	}

	// GET config: the literal token and Redis password are redacted, the
	// ${ENV} reference is shown as written.
	code, body := api("GET", "/config", nil)
	noSecrets(t, "GET /api/config", body)
	var cur struct {
		Text    string `json:"text"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal([]byte(body), &cur); err != nil || code != 200 {
		t.Fatalf("GET config: %d %v %s", code, err, body)
	}
	for _, want := range []string{"token: " + redactedValue + "\n", "redis://:" + redactedValue + "@127.0.0.1:1/0   # nothing",
		"ks-${PREMIER_TEST_SECRET}"} {
		if !strings.Contains(cur.Text, want) {
			t.Errorf("config text lacks %q:\n%s", want, cur.Text)
		}
	}

	// Validate: every message quotes the source text.
	for _, servers := range []string{`["${PREMIER_TEST_SECRET}"]`, `["${PATH}"]`, `["http://admin:${PREMIER_TEST_SECRET}@h:80"]`,
		`["http://admin:` + serverSecret + `@h:80"]`} {
		edited := cur.Text + "    - pattern: /b\n      servers: " + servers + "\n"
		code, body := api("POST", "/config/validate", map[string]any{"text": edited})
		var v struct {
			Errors json.RawMessage `json:"errors"`
		}
		_ = json.Unmarshal([]byte(body), &v)
		// The answer's line diff echoes the text sent; its messages show
		// no value that was not sent.
		noSecrets(t, "validate "+servers, string(v.Errors))
		if !strings.Contains(servers, serverSecret) {
			noSecrets(t, "validate "+servers, body)
		}
		if path := os.Getenv("PATH"); strings.Contains(body, path) {
			t.Errorf("validate %s shows $PATH", servers)
		}
		if code != 200 || !strings.Contains(body, `"ok":false`) || !strings.Contains(body, "server URL") {
			t.Errorf("validate %s: %d %s", servers, code, body)
		}
	}
	_, body = api("POST", "/config/validate", map[string]any{"text": cur.Text + "    - pattern: /b\n      servers: [\"${PREMIER_TEST_SECRET}\"]\n"})
	if !strings.Contains(body, `\"${PREMIER_TEST_SECRET}\"`) {
		t.Errorf("validate does not quote the source text: %s", body)
	}

	// A kept token cannot be copied by an alias into a field whose error
	// would quote it.
	aliased := strings.Replace(cur.Text, "token: "+redactedValue, "token: &t "+redactedValue+"\n    prefix: *t", 1)
	code, body = api("POST", "/config/validate", map[string]any{"text": aliased})
	noSecrets(t, "validate of an aliased placeholder", body)
	if code != 200 || !strings.Contains(body, `"ok":false`) || !strings.Contains(body, "anchor") {
		t.Errorf("validate of an aliased placeholder: %d %s", code, body)
	}

	// A valid text's diff names rules by their source text too.
	code, body = api("POST", "/config/validate", map[string]any{"text": cur.Text + "    - pattern: \"/p-${PREMIER_TEST_SECRET}\"\n"})
	noSecrets(t, "validate of a valid text", body)
	if code != 200 || !strings.Contains(body, `"ok":true`) || !strings.Contains(body, `"added":["/p-${PREMIER_TEST_SECRET}"]`) {
		t.Errorf("validate of a valid text: %d %s", code, body)
	}

	// An edited text may not use a variable the file does not use.
	withNew := cur.Text + "      features:\n        rate_limit: {quota: 1, duration: 60, error_message: \"${PREMIER_TEST_OTHER}\"}\n"
	code, body = api("POST", "/config/apply", map[string]any{"text": withNew, "base_version": cur.Version})
	noSecrets(t, "apply with a new variable", body)
	if code != 422 || !strings.Contains(body, "PREMIER_TEST_OTHER") {
		t.Errorf("apply with a new variable: %d %s", code, body)
	}
	if disk, _ := os.ReadFile(cfg); string(disk) != text {
		t.Fatalf("a refused apply changed the file:\n%s", disk)
	}

	// An apply that keeps the placeholders keeps the values byte for byte.
	added := "    - pattern: /c\n"
	code, body = api("POST", "/config/apply", map[string]any{"text": cur.Text + added, "base_version": cur.Version})
	noSecrets(t, "apply", body)
	if code != 200 {
		t.Fatalf("apply keeping the placeholders: %d %s", code, body)
	}
	if disk, _ := os.ReadFile(cfg); string(disk) != text+added {
		t.Fatalf("file after apply:\n%s\nwant:\n%s", disk, text+added)
	}
	code, body = api("GET", "/config/versions", nil)
	noSecrets(t, "versions", body)
	if code != 200 {
		t.Fatalf("versions: %d %s", code, body)
	}
	// Rollback applies the version's real text, not a redacted one.
	code, body = api("POST", "/config/rollback", map[string]any{"version": 1})
	noSecrets(t, "rollback", body)
	if disk, _ := os.ReadFile(cfg); code != 200 || string(disk) != text {
		t.Fatalf("rollback: %d %s\nfile:\n%s", code, body, disk)
	}

	// A placeholder changed to a new literal value writes the new value.
	if code, body = api("GET", "/config", nil); code != 200 || json.Unmarshal([]byte(body), &cur) != nil {
		t.Fatalf("GET config after the rollback: %d %s", code, body)
	}
	newToken := "new-dash-token-1"
	code, body = api("POST", "/config/apply", map[string]any{"text": strings.Replace(cur.Text, "token: "+redactedValue, "token: "+newToken, 1)})
	if disk, _ := os.ReadFile(cfg); code != 200 || string(disk) != strings.Replace(text, tokenSecret, newToken, 1) {
		t.Fatalf("apply of a new token: %d %s\nfile:\n%s", code, body, disk)
	}
	if code, body := configAPI(t, url, newToken, "GET", "/config", nil); code != 200 || strings.Contains(body, newToken) {
		t.Errorf("GET config with the new token: %d %s", code, body)
	}

	// Nor do the snapshot (backend names) or the metrics' labels.
	for _, p := range []string{"/__premier/api/snapshot", "/__premier/metrics"} {
		code, body := fetch(t, url+p, map[string]string{"Authorization": "Bearer " + newToken})
		noSecrets(t, p, body)
		if code != 200 {
			t.Errorf("%s: %d", p, code)
		}
	}

	// The reload log quotes the source and hides URL passwords.
	bad := text + "    - pattern: /bad\n      servers: [\"http://admin:${PREMIER_TEST_SECRET}@h:80\", \"http://admin:" + serverSecret + "@h:80\"]\n"
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	before := strings.Count(logs.String(), "config reload rejected")
	_ = cmd.Process.Signal(syscall.SIGHUP)
	// Each problem is its own log line: wait for both before reading.
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "config reload rejected") < before+2 {
		if time.Now().After(deadline) {
			t.Fatalf("not both problems of the rejected reload logged:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"${PREMIER_TEST_SECRET}", "admin:xxxxx@h:80"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("reload log lacks %q:\n%s", want, logs)
		}
	}
	noSecrets(t, "the log", logs.String())

	// -check prints the same messages.
	_, errOut, code := runCLI(t, "-check", "-config", cfg)
	noSecrets(t, "-check", errOut)
	if code != 1 || !strings.Contains(errOut, `"http://admin:${PREMIER_TEST_SECRET}@h:80"`) || !strings.Contains(errOut, "admin:xxxxx@h:80") {
		t.Errorf("-check: exit %d\n%s", code, errOut)
	}
}
