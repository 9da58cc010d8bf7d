package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const authHash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"

// TestConfigAuthConsumerWarnings: {consumer} without auth, and a cache_key
// without {consumer} on a rule with auth, are pointed out at their keys.
func TestConfigAuthConsumerWarnings(t *testing.T) {
	src := `premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: /a
      features:
        rate_limit: {quota: 1, duration: 1, key: "{consumer}"}
    - pattern: /b
      features:
        auth: {api_keys: {keys: [{name: m, sha256: "` + authHash + `"}]}}
        cache: {cache_key: "{host}{path}"}
    - pattern: /c
      features:
        auth: {api_keys: {keys: [{name: m, sha256: "` + authHash + `"}]}}
        cache: {cache_key: "{host}{path}{consumer}"}
        rate_limit: {quota: 1, duration: 1, key: "{consumer}"}
`
	l, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var w []string
	for _, p := range l.Warnings {
		w = append(w, p.String())
	}
	if len(w) != 2 || !strings.HasPrefix(w[0], "a.yaml:6:") || !strings.Contains(w[0], "no auth") ||
		!strings.HasPrefix(w[1], "a.yaml:10:") || !strings.Contains(w[1], "has no {consumer}") {
		t.Fatalf("warnings: %q", w)
	}
	if l.Auth(1) == nil || l.Auth(0) != nil || l.Auth(-1) != nil {
		t.Fatal("compiled auth per rule")
	}
}

// TestConfigAuthFileProblemAtItsKey: a bad keys_file or users_file is an
// error at the key naming it, with the file's line.
func TestConfigAuthFileProblemAtItsKey(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.WriteFile(keys, []byte("ok:"+authHash+"\nbad line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: /a
      features:
        auth:
          api_keys:
            keys_file: ` + keys + `
`
	_, err := Parse("f.yaml", []byte(src))
	if err == nil || !strings.HasPrefix(err.Error(), "f.yaml:8:13: auth: keys_file: "+keys+" line 2") {
		t.Fatalf("got %v", err)
	}
	src = strings.Replace(src, "keys_file: "+keys, "keys_file: "+keys+"\n          basic: {users_file: "+filepath.Join(dir, "none")+"}", 1)
	if err := os.WriteFile(keys, []byte("ok:"+authHash+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Parse("f.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "f.yaml:9:") || !strings.Contains(err.Error(), "users_file") {
		t.Fatalf("missing users_file: %v %v", l, err)
	}
}
