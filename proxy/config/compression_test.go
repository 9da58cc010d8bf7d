package config

import (
	"strings"
	"testing"
)

// TestConfigCompression: the contract's block decodes per rule, a
// top-level block with the same keys, the defaults fill what is left out,
// and bad values are refused at their position.
func TestConfigCompression(t *testing.T) {
	l, err := Parse("ok.yaml", []byte(`premier:
  servers: [http://127.0.0.1:9]
  compression: {min_bytes: 512}
  paths:
    - pattern: "/api/*"
      features:
        compression: {algorithms: [zstd, br, gzip], min_bytes: 1024, types: ["text/*", "application/json", "application/javascript", "image/svg+xml"]}
    - pattern: "/off/*"
      features:
        compression: {algorithms: []}
`))
	if err != nil {
		t.Fatal(err)
	}
	top := l.Config.Compression
	if top == nil || top.MinBytes != 512 || strings.Join(top.Algorithms, ",") != "zstd,br,gzip" ||
		top.Levels.Gzip != 6 || top.Levels.Br != 4 || top.Levels.Zstd != 3 || len(top.Types) != 4 {
		t.Fatalf("top-level compression %+v", top)
	}
	if c := l.Config.Paths[0].Features.Compression; c == nil || c.MinBytes != 1024 || len(c.Types) != 4 {
		t.Fatalf("rule compression %+v", c)
	}
	if c := l.Config.Paths[1].Features.Compression; c == nil || c.Enabled() {
		t.Fatalf("algorithms: [] must turn it off: %+v", c)
	}

	_, err = Parse("bad.yaml", []byte(`premier:
  servers: [http://127.0.0.1:9]
  paths:
    - pattern: "/api/*"
      features:
        compression: {algorithms: [gzip, deflate], types: ["text"], levels: {br: 11}}
`))
	if err == nil {
		t.Fatal("bad compression accepted")
	}
	for _, want := range []string{"bad.yaml:6:", `unknown coding "deflate"`, `"text"`, "levels.br: 11"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
