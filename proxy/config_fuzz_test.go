package proxy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: any input is either accepted or refused with positioned
// ConfigErrors naming the file — never a panic or a hang.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../configs/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{"", "premier:", "premier: {paths: [{pattern: '^('}]}", "a: &a [*a]",
		"premier:\n  <<: *x\n", "premier:\n  keyspace: ${X}\n", "premier: [1, 2]", "\x00\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse("f.yaml", data)
		if err == nil {
			if l.Config == nil {
				t.Fatal("accepted without a config")
			}
			return
		}
		var ce ConfigErrors
		if !errors.As(err, &ce) || len(ce) == 0 {
			t.Fatalf("error is not ConfigErrors: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "f.yaml") {
			t.Fatalf("error without the file name: %v", err)
		}
	})
}
