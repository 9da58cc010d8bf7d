package proxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

func TestReloadUnderTrafficLosesNothing(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("a") })
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("b") })
	cfgA := configYAML(a, "  paths:\n    - pattern: /x\n      features:\n        timeout: {seconds: 5}\n")
	cfgB := configYAML(b, "  paths:\n    - pattern: \"/*\"\n      features:\n        monitoring: {log_threshold: 5}\n")
	h := startGateway(t, cfgA)

	stop := traffic(h.url+"/x", 4, func(code int, body []byte, err error) bool {
		return err == nil && code == 200 && (string(body) == "a" || string(body) == "b")
	})
	for i := 0; i < 20; i++ {
		src := cfgA
		if i%2 == 0 {
			src = cfgB
		}
		l, err := config.Parse("r.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.gw.Reload(l); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ok, failed := stop()
	if failed != 0 || ok == 0 {
		t.Fatalf("%d failed, %d ok during 20 reloads", failed, ok)
	}
	if got := h.gw.Status().Reloads; got != 20 {
		t.Fatalf("reloads counted: %d", got)
	}
}

func TestInvalidReloadKeepsOldConfig(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("up") })
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	good := configYAML(backend, "")
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	h := startGateway(t, good)
	if err := os.WriteFile(path, []byte("premier:\n  paths:\n    - pattern: \"^(\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if h.gw.ReloadLogged(path, "test") {
		t.Fatal("invalid config accepted")
	}
	if logs := h.logs.String(); !strings.Contains(logs, "gw.yaml:3:7") || !strings.Contains(logs, "previous config keeps serving") {
		t.Fatalf("rejection not logged with position: %s", logs)
	}
	if _, body := do(t, "GET", h.url+"/", nil, nil); body != "up" {
		t.Fatalf("old config stopped serving: %q", body)
	}
}

func TestWatcherReloadsOnFileChange(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("a") })
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("b") })
	path := filepath.Join(t.TempDir(), "gw.yaml")
	if err := os.WriteFile(path, []byte(configYAML(a, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	h := startGateway(t, configYAML(a, ""))
	w := h.gw.Watch(path, 10*time.Millisecond)
	defer w.Stop()
	if err := os.WriteFile(path, []byte(configYAML(b, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, body := do(t, "GET", h.url+"/", nil, nil); body == "b" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("file change not picked up; logs: %s", h.logs.String())
}
