//go:build !windows

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// The real binary reopens its access log on SIGUSR1 (logrotate moved the
// file: the moved file gets nothing new, the new file the next lines), and
// a SIGHUP reload applies log.format and log.level.
func TestAccessLogReopenOnSIGUSR1AndLogSettingsOnReload(t *testing.T) {
	b := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	base := fmt.Sprintf("premier:\n  servers: [%q]\n  access_log: {path: %q, format: combined}\n", b, logPath)
	cfg := writeFile(t, "gw.yaml", base)
	cmd, url, logs := startBinary(t, cfg)
	read := func(p string) string { got, _ := os.ReadFile(p); return string(got) }

	get(t, url+"/before")
	waitFor(t, "the first line", func() bool { return strings.Contains(read(logPath), "GET /before HTTP/1.1") })
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGUSR1)
	waitFor(t, "the reopened file", func() bool { _, err := os.Stat(logPath); return err == nil })
	get(t, url+"/after")
	waitFor(t, "the line after the reopen", func() bool { return strings.Contains(read(logPath), "GET /after HTTP/1.1") })
	if old := read(logPath + ".1"); strings.Count(old, "\n") != 1 || strings.Contains(old, "/after") {
		t.Fatalf("the moved file got more lines:\n%s", old)
	}
	if n := strings.Count(read(logPath), "\n"); n != 1 {
		t.Fatalf("the new file: %d lines:\n%s", n, read(logPath))
	}

	// log: json at debug from the next reload on.
	if err := os.WriteFile(cfg, []byte(base+"  log: {format: json, level: debug}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "a JSON log line", func() bool { return strings.Contains(logs.String(), `"msg":"config reloaded"`) })
}
