package proxy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
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
		l2, err2 := Parse("f.yaml", data)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("not deterministic: %v then %v", err, err2)
		}
		if err == nil {
			if l.Config == nil || l.File != "f.yaml" || !bytes.Equal(l.Source, data) || l2.Config == nil {
				t.Fatal("accepted without a config")
			}
			checkBuilds(t, l)
			return
		}
		var ce ConfigErrors
		if !errors.As(err, &ce) || len(ce) == 0 {
			t.Fatalf("error is not ConfigErrors: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "f.yaml") {
			t.Fatalf("error without the file name: %v", err)
		}
		// YAML breaks lines at "\n", "\r\n" and a lone "\r"; the parser may
		// point just past the last line (end of input).
		lines := bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n")) +
			bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
		for _, e := range ce {
			if e.File != "f.yaml" || e.Msg == "" || e.Line < 0 || e.Line > lines+1 || e.Col < 0 || e.Line == 0 && e.Col != 0 {
				t.Fatalf("badly positioned error %+v (%d lines)", e, lines)
			}
		}
	})
}

// checkBuilds: a config Parse accepts builds a gateway (plugin mode, so
// nothing is dialled). Configs that would reach the network at start —
// Redis, active health checks — are left out.
func checkBuilds(t *testing.T, l *Loaded) {
	c := l.Config
	if c.Redis != nil || c.LB != nil && c.LB.HealthCheck != nil {
		return
	}
	for _, p := range c.Paths {
		if p.LB != nil && p.LB.HealthCheck != nil {
			return
		}
	}
	gw, err := New(l, WithHandler(func(*fasthttp.RequestCtx) {}), WithLogger(discardLogger()))
	if err != nil {
		t.Fatalf("accepted config does not build: %v", err)
	}
	gw.Close()
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
		var ce ConfigErrors
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
			var ce ConfigErrors
			if !errors.As(err, &ce) {
				t.Errorf("%q: %v", src, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%q: Parse hangs", src)
		}
	}
}
