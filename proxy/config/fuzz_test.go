package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse: any input is either accepted or refused with positioned
// Problems naming the file — never a panic or a hang. That every accepted
// config builds a gateway is FuzzCompile in package proxy, seeded with
// this corpus.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../../configs/*.yaml")
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
		l2, err2 := Parse("f.yaml", data)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("not deterministic: %v then %v", err, err2)
		}
		if err == nil {
			if l.Config == nil || l.File != "f.yaml" || !bytes.Equal(l.Source, data) || l2.Config == nil {
				t.Fatal("accepted without a config")
			}
			return
		}
		var ce Problems
		if !errors.As(err, &ce) || len(ce) == 0 {
			t.Fatalf("error is not Problems: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "f.yaml") {
			t.Fatalf("error without the file name: %v", err)
		}
		// YAML breaks lines at "\n", "\r\n" and a lone "\r"; the parser may
		// point just past the last line (end of input).
		lines := bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n")) +
			bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
		for _, e := range ce {
			if e.File != "f.yaml" || e.Msg == "" || e.Severity != SeverityError || e.Line < 0 || e.Line > lines+1 || e.Col < 0 || e.Line == 0 && e.Col != 0 {
				t.Fatalf("badly positioned error %+v (%d lines)", e, lines)
			}
		}
	})
}

// TestEmptyListItemRefused: a bare "-" in a list is refused where it
// stands; it used to pass validation as a server without a URL, and New
// then failed. Found by FuzzParse.
func TestEmptyListItemRefused(t *testing.T) {
	for _, src := range []string{
		"premier:\n  servers:\n  -\n",
		"premier:\n  servers: [\"http://a:1\", ~]\n",
		"premier:\n  trusted_proxies:\n    - &n\n    - *n\n  servers: [\"http://a:1\"]\n",
	} {
		_, err := Parse("f.yaml", []byte(src))
		var ce Problems
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "empty list item") || ce[0].Line < 2 {
			t.Errorf("%q: %v", src, err)
		}
	}
}

// TestSelfAliasRefused: an anchor on an alias to itself ("&0 *0") is
// refused; resolving it looped forever. Found by FuzzParse.
func TestSelfAliasRefused(t *testing.T) {
	for _, src := range []string{"   &0\n*0", "premier:\n  keyspace: &k *k\n"} {
		done := make(chan error, 1)
		go func() { _, err := Parse("f.yaml", []byte(src)); done <- err }()
		select {
		case err := <-done:
			var ce Problems
			if !errors.As(err, &ce) {
				t.Errorf("%q: %v", src, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%q: Parse hangs", src)
		}
	}
}
