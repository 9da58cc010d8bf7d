package proxy

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// logLines collects a gateway's log lines while the test reads them.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// with returns the lines containing s.
func (l *logLines) with(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// loggedGateway is fileGateway with its log kept.
func loggedGateway(t *testing.T, text string) (*Gateway, string, *logLines) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logLines{}
	gw, err := New(l, WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	return gw, path, logs
}

// TestDashboardApplyIsOneReload: with the file watcher running, an apply
// from the dashboard reloads once: the watcher knows the gateway's own
// write of the file (by its hash) and does not reload it again. The
// previous file goes to .premier/NAME.prev, a directory the repository's
// .gitignore lists. An edit made by hand afterwards is still reloaded.
func TestDashboardApplyIsOneReload(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("a") })
	textA := configYAML(a, "")
	gw, path, logs := loggedGateway(t, textA)
	src := gw.DashboardSource(path, 0)
	w := gw.Watch(path, 10*time.Millisecond)
	defer w.Stop()

	textB := configYAML(a, "  paths:\n    - pattern: /b\n")
	if _, err := src.Apply([]byte(textB), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // thirty polls
	if n := gw.reloads.Load(); n != 1 {
		t.Fatalf("%d reloads for one apply; log:\n%s", n, strings.Join(logs.with("reload"), "\n"))
	}
	if lines := logs.with("file changed"); len(lines) != 0 {
		t.Fatalf("the watcher reloaded the gateway's own write: %q", lines)
	}
	prev := filepath.Join(filepath.Dir(path), ".premier", "gateway.yaml.prev")
	if config.BackupPath(path) != prev {
		t.Fatalf("backup path %s", config.BackupPath(path))
	}
	if b, err := os.ReadFile(prev); err != nil || string(b) != textA {
		t.Fatalf("previous file in %s: %v %q", prev, err, b)
	}
	if _, err := os.Stat(path + ".prev"); !os.IsNotExist(err) {
		t.Fatal("a backup next to the config file")
	}
	gitignore, err := os.ReadFile("../.gitignore")
	if err != nil || !bytes.Contains(gitignore, []byte("\n"+config.BackupDir+"/\n")) {
		t.Fatalf(".gitignore does not list %s/: %v", config.BackupDir, err)
	}

	textC := textB + "    - pattern: /c\n"
	if err := os.WriteFile(path, []byte(textC), 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(logs.with("file changed")) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a hand edit after the apply was not reloaded")
		}
	}
	if n := gw.reloads.Load(); n != 2 {
		t.Fatalf("%d reloads after the hand edit, want 2", n)
	}
}

// TestRejectedReloadOneLinePerProblem: a file with three problems is
// rejected with three log lines, each naming one problem at its position.
func TestRejectedReloadOneLinePerProblem(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) {})
	gw, path, logs := loggedGateway(t, configYAML(a, ""))
	bad := configYAML(a, "  bogus: 1\n  paths:\n    - pattern: /x\n      features:\n        timeout: {seconds: -1}\n        nope: {}\n")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if gw.ReloadLogged(path, "SIGHUP") {
		t.Fatal("bad config accepted")
	}
	lines := logs.with("config reload rejected")
	if len(lines) < 3 {
		t.Fatalf("%d lines for three problems: %q", len(lines), lines)
	}
	for _, want := range []string{`bogus`, `nope`, `seconds`} {
		n := 0
		for _, l := range lines {
			if strings.Contains(l, want) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("problem %q on %d lines: %q", want, n, lines)
		}
	}
	for _, l := range lines {
		if strings.Contains(l, `\n`) || !strings.Contains(l, "problem=") {
			t.Fatalf("not one problem per line: %q", l)
		}
	}
}
