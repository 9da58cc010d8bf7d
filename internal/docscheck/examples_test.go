package docscheck

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// premierBinary builds the module's premier command: the examples are
// checked by the real binary.
func premierBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "premier")
	if out, err := exec.Command("go", "build", "-o", bin, root).CombinedOutput(); err != nil {
		t.Fatalf("go build premier: %v\n%s", err, out)
	}
	return bin
}

func TestCheckExamples(t *testing.T) {
	bin := premierBinary(t)
	doc := NewDoc("docs/x.md", "# X\n"+
		"```yaml\n"+ // 2
		"# a whole file\n"+
		"premier:\n"+
		"  servers: [\"http://127.0.0.1:9001\"]\n"+
		"  dashboard: {token: \"${PREMIER_DASHBOARD_TOKEN}\"}\n"+
		"  redis: {url: \"${REDIS_URL}\"}\n"+
		"  listen: \"${PREMIER_LISTEN:-:8000}\"\n"+ // a default: needs no fixture
		"```\n"+
		"```yaml\n"+ // 10
		"premier:\n"+
		"  servers: [\"http://127.0.0.1:9001\"]\n"+
		"  lb: {algorithm: least_con}\n"+ // 13
		"  paths:\n"+
		"    - pattern: /a\n"+
		"      features: {retry: {per_try_timeout: 1, bogus: 2}}\n"+ // 16
		"```\n"+
		"```yaml\n"+ // 18: a fragment, not checked
		"retry: {bogus: 1}\n"+
		"```\n"+
		"```yaml\n"+ // 21
		"premier:\n"+
		"  servers: [\"${NOT_A_FIXTURE}\"]\n"+
		"  keyspace: \"$${NOT_A_VARIABLE}\"\n"+
		"```\n"+
		"```yaml\n"+ // 26: valid, with a warning
		"premier:\n"+
		"  paths: [{pattern: /a}]\n"+
		"```\n"+
		"```sh\n"+ // not yaml: not checked
		"premier: nonsense\n"+
		"```\n")
	checked, probs, warnings, err := CheckExamples(bin, []Doc{doc}, DefaultFixtures())
	if err != nil {
		t.Fatal(err)
	}
	if checked != 4 {
		t.Errorf("checked %d examples, want 4", checked)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	if len(got) != 2 {
		t.Fatalf("problems: %q, want 2", got)
	}
	for _, want := range []string{
		"docs/x.md:10: example does not pass premier -check:",
		"docs/x.md:13:",
		"least_con",
		"docs/x.md:16:",
		"bogus",
	} {
		if !strings.Contains(got[0], want) {
			t.Errorf("first problem lacks %q:\n%s", want, got[0])
		}
	}
	if want := "docs/x.md:21: example uses ${NOT_A_FIXTURE}: add a value to docscheck.DefaultFixtures"; got[1] != want {
		t.Errorf("second problem:\n got %q\nwant %q", got[1], want)
	}
	wantWarn := []string{"docs/x.md:26: warning: no servers configured: this is a plugin-mode config (standalone mode needs `servers`)"}
	if !reflect.DeepEqual(warnings, wantWarn) {
		t.Errorf("warnings:\n got %q\nwant %q", warnings, wantWarn)
	}
}

func TestCheckExamplesMissingBinary(t *testing.T) {
	doc := NewDoc("README.md", "```yaml\npremier:\n  servers: [\"http://127.0.0.1:9001\"]\n```\n")
	_, _, _, err := CheckExamples(filepath.Join(t.TempDir(), "no-premier"), []Doc{doc}, DefaultFixtures())
	if err == nil {
		t.Fatal("no error for a missing premier binary")
	}
}
