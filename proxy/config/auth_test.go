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

// TestConfigAuthJWT: the jwt block decodes with its defaults and its
// claims_to_headers mapping; a private key as key_file is an error at
// that key; {jwt.CLAIM} without auth.jwt is pointed out.
func TestConfigAuthJWT(t *testing.T) {
	t.Setenv("JWT_SECRET", "a-secret-from-the-environment-0123456789")
	src := `premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: /a
      features:
        auth:
          jwt: {secret: "${JWT_SECRET}", issuer: https://id.example, claims_to_headers: {X-User-Id: sub}}
        rate_limit: {quota: 1, duration: 1, key: "{consumer}{jwt.tenant}"}
    - pattern: /b
      features:
        rate_limit: {quota: 1, duration: 1, key: "{jwt.tenant}"}
`
	l, err := Parse("j.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a := l.Auth(0)
	if a == nil || a.JWT == nil || len(a.ClaimHeaders()) != 1 || string(a.ClaimHeaders()[0].Header) != "X-User-Id" {
		t.Fatalf("compiled jwt: %+v", a)
	}
	if len(l.Warnings) != 1 || !strings.HasPrefix(l.Warnings[0].String(), "j.yaml:11:") || !strings.Contains(l.Warnings[0].String(), "no auth.jwt") {
		t.Fatalf("warnings: %v", l.Warnings)
	}

	key := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(key, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := `premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: /a
      features:
        auth:
          jwt:
            key_file: ` + key + `
`
	if _, err := Parse("k.yaml", []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "k.yaml:8:") || !strings.Contains(err.Error(), "never a private key") {
		t.Fatalf("private key_file: %v", err)
	}
	if _, err := Parse("s.yaml", []byte(strings.Replace(src, "${JWT_SECRET}", "short", 1))); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Fatalf("short secret: %v", err)
	}
}
