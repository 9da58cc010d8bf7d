package proxy

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// FuzzCompile: every config that config.Parse accepts builds a gateway.
// It is seeded with the example configs and config.FuzzParse's corpus,
// whose inputs include configs that once passed validation and then
// failed in New.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob("../configs/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	corpus, _ := filepath.Glob("config/testdata/fuzz/FuzzParse/*")
	if len(corpus) == 0 {
		f.Fatal("config.FuzzParse's corpus not found")
	}
	for _, p := range corpus {
		f.Add(corpusInput(f, p))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := config.Parse("f.yaml", data); err == nil {
			checkBuilds(t, l)
		}
	})
}

// corpusInput decodes a one-argument corpus file of the Go fuzzer:
// "go test fuzz v1" then the line []byte("...").
func corpusInput(f *testing.F, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	_, arg, _ := bytes.Cut(b, []byte("\n"))
	arg = bytes.TrimSpace(arg)
	lit, pre := bytes.CutPrefix(arg, []byte("[]byte("))
	lit, suf := bytes.CutSuffix(lit, []byte(")"))
	if !pre || !suf {
		f.Fatalf("%s: not a []byte corpus entry", path)
	}
	s, err := strconv.Unquote(string(lit))
	if err != nil {
		f.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// checkBuilds: a config Parse accepts builds a gateway (plugin mode, so
// nothing is dialled). Configs that would reach the network at start —
// Redis, active health checks — are left out.
func checkBuilds(t *testing.T, l *config.Loaded) {
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
