package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/goleak"

	"github.com/premier-gateway/premier/internal/leaktest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "premier-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "premier")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		// The goroutine-leak check every package runs (goleak.VerifyTestMain
		// would exit before the binary is removed).
		if err := goleak.Find(append(leaktest.FastHTTP(),
			goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreAnyFunction("internal/poll.runtime_pollWait"))...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCLIVersion(t *testing.T) {
	out, _, code := runCLI(t, "-version")
	// Unstamped (go build): version "dev"; commit "unknown" under make
	// (-buildvcs=false), the checkout's revision otherwise; the
	// toolchain's and fasthttp's versions from the build information.
	want := regexp.MustCompile(fmt.Sprintf(`^premier dev\ncommit: (unknown|[0-9a-f]{40}(-dirty)?)\ngo: %s\nfasthttp: %s\n$`,
		regexp.QuoteMeta(runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH), regexp.QuoteMeta(fasthttpVersion(t))))
	if code != 0 || !want.MatchString(out) {
		t.Fatalf("exit %d\n got %q\nwant %s", code, out, want)
	}
}

// fasthttpVersion is the fasthttp version go.mod requires.
func fasthttpVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/valyala/fasthttp (v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod does not require fasthttp")
	}
	return string(m[1])
}

func TestCLICheck(t *testing.T) {
	for _, f := range []string{"configs/seed-complete.yaml", "configs/demo.yaml"} {
		if out, errOut, code := runCLI(t, "-check", "-config", f); code != 0 || !strings.Contains(out, "OK") {
			t.Errorf("%s: %d %s %s", f, code, out, errOut)
		}
	}
	_, errOut, code := runCLI(t, "-check", "-config", "configs/seed-quickstart.yaml")
	if code != 0 || !strings.Contains(errOut, "warning: no servers configured") {
		t.Errorf("plugin config: %d %s", code, errOut)
	}
	bad := writeFile(t, "bad.yaml", "premier:\n  servers: [\"http://x:1\"]\n  paths:\n    - pattern: \"/*\"\n    - pattern: \"/api/*\"\n      features:\n        rate_limit: {quota: -1, duration: 0}\n        timeout: {seconds: fast}\n")
	_, errOut, code = runCLI(t, "-check", "-config", bad)
	if code != 1 {
		t.Fatalf("exit %d for a bad config", code)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(bad) + `:\d+:\d+: `)
	if len(lines) != 3 {
		t.Fatalf("want 3 problems, got:\n%s", errOut)
	}
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("not FILE:LINE:COL: %q", l)
		}
	}
	shadow := writeFile(t, "shadow.yaml", "premier:\n  servers: [\"http://x:1\"]\n  paths:\n    - pattern: \"/*\"\n    - pattern: \"/api/*\"\n")
	if _, errOut, code := runCLI(t, "-check", "-config", shadow); code != 0 || !strings.Contains(errOut, "can never match") {
		t.Errorf("shadowed rule: %d %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, "-config", "configs/seed-quickstart.yaml"); code != 1 || !strings.Contains(errOut, "cannot start standalone") {
		t.Errorf("standalone without servers: %d %s", code, errOut)
	}
	if _, _, code := runCLI(t); code != 2 {
		t.Errorf("no -config: exit %d", code)
	}
}

// startBinary runs the gateway binary on a free loopback port and returns
// its URL.
func startBinary(t *testing.T, config string) (*exec.Cmd, string, *lockedBuffer) {
	t.Helper()
	return startBinaryOn(t, config, "127.0.0.1:0")
}

// startBinaryOn runs the gateway binary listening on listen.
func startBinaryOn(t *testing.T, config, listen string) (*exec.Cmd, string, *lockedBuffer) {
	t.Helper()
	return startCommand(t, exec.Command(binary, "-config", config, "-listen", listen))
}

// startCommand runs cmd, a command that starts the gateway binary, and
// returns once it listens, with its URL and its log.
func startCommand(t *testing.T, cmd *exec.Cmd) (*exec.Cmd, string, *lockedBuffer) {
	t.Helper()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	logs := &lockedBuffer{}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`premier listening" addr=(\S+)`)
		for sc.Scan() {
			line := sc.Text()
			logs.add(line + "\n")
			if m := re.FindStringSubmatch(line); m != nil {
				select { // the first listener's (the plain one, when it is on)
				case addrc <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-addrc:
		return cmd, "http://" + addr, logs
	case <-time.After(30 * time.Second):
		t.Fatalf("gateway did not start: %s", logs)
	}
	return nil, "", nil
}

func backend(t *testing.T, h fasthttp.RequestHandler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeReloadOnSIGHUPAndDrainOnSIGTERM(t *testing.T) {
	a := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("a") })
	b := backend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/slow" {
			time.Sleep(700 * time.Millisecond)
		}
		ctx.SetBodyString("b")
	})
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n", a))
	cmd, url, logs := startBinary(t, cfg)
	if _, body := get(t, url+"/"); body != "a" {
		t.Fatalf("first config: %q", body)
	}
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("premier:\n  servers: [%q]\n", b)), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, body := get(t, url+"/"); body == "b" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reload not applied: %s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An invalid file is rejected; the running config keeps serving.
	if err := os.WriteFile(cfg, []byte("premier:\n  servers: [\"nope\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(200 * time.Millisecond)
	if _, body := get(t, url+"/"); body != "b" {
		t.Fatalf("after a rejected reload: %q", body)
	}

	// SIGTERM with a request in flight: it completes, then the process exits 0.
	done := make(chan string, 1)
	go func() {
		_, body := get(t, url+"/slow")
		done <- body
	}()
	time.Sleep(200 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case body := <-done:
		if body != "b" {
			t.Fatalf("in-flight request cut: %q", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight request never finished")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "config reload rejected") {
		t.Errorf("rejected reload not logged: %s", logs)
	}
}

// lockedBuffer collects a child's log lines while the test reads them.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestCLICheckJSON(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "premier:\n  servers: [\"http://x:1\"]\n  paths:\n    - pattern: \"/*\"\n      hosts: [\"a.test:80\"]\n      features:\n        timeout: {seconds: fast}\n")
	out, _, code := runCLI(t, "-check", "-format", "json", "-config", bad)
	var ps []struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
	}
	if err := json.Unmarshal([]byte(out), &ps); err != nil || code != 1 || len(ps) != 2 {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	if p := ps[0]; p.File != bad || p.Line != 5 || p.Column != 7 || p.Severity != "error" || !strings.HasPrefix(p.Message, "hosts: ") {
		t.Fatalf("first problem %+v", p)
	}
	shadow := writeFile(t, "shadow.yaml", "premier:\n  servers: [\"http://x:1\"]\n  paths:\n    - pattern: \"/*\"\n    - pattern: \"/api/*\"\n")
	out, _, code = runCLI(t, "-check", "-format", "json", "-config", shadow)
	if err := json.Unmarshal([]byte(out), &ps); err != nil || code != 0 || len(ps) != 1 || ps[0].Severity != "warning" || ps[0].Line != 5 {
		t.Fatalf("warnings: exit %d, %v: %s", code, err, out)
	}
	out, _, code = runCLI(t, "-check", "-format", "json", "-config", "configs/demo.yaml")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("clean config: exit %d: %s", code, out)
	}
	out, _, code = runCLI(t, "-check", "-format", "json", "-config", filepath.Join(t.TempDir(), "missing.yaml"))
	if err := json.Unmarshal([]byte(out), &ps); err != nil || code != 1 || len(ps) != 1 || ps[0].Line != 0 {
		t.Fatalf("missing file: exit %d, %v: %s", code, err, out)
	}
	if _, _, code := runCLI(t, "-check", "-format", "xml", "-config", shadow); code != 2 {
		t.Fatalf("-format xml: exit %d", code)
	}
}

func TestCLIExplain(t *testing.T) {
	cfg := writeFile(t, "e.yaml", `premier:
  servers: ["http://127.0.0.1:9"]
  paths:
    - pattern: "/users/*"
      hosts: ["admin.example.com"]
    - pattern: "/users/*"
      methods: [POST]
    - pattern: "/users/{id}"
      headers: {X-Canary: "1"}
      features:
        rate_limit: {quota: 10, duration: 60, key: "{client_ip}:{id}"}
`)
	out, errOut, code := runCLI(t, "-explain", "GET https://api.example.com/users/42", "-config", cfg, "-client-ip", "192.0.2.7", "-header", "X-Canary: 1")
	for _, want := range []string{"rule 3: /users/{id}", "1 /users/*: host does not match", "2 /users/*: method does not match",
		"rate_limit: fixed_window, 10 per 60s", "backends (round_robin): http://127.0.0.1:9", "rate-limit key: 9:192.0.2.7:2:42"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("missing %q (exit %d):\n%s%s", want, code, out, errOut)
		}
	}
	out, _, code = runCLI(t, "-explain", "https://api.example.com/users/42", "-config", cfg, "-format", "json")
	var e struct {
		Rule    int    `json:"rule"`
		Pattern string `json:"pattern"`
		Skipped []struct {
			Rule   int    `json:"rule"`
			Reason string `json:"reason"`
			Name   string `json:"name"`
		} `json:"skipped"`
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil || code != 0 || e.Rule != 0 || e.Pattern != "default" || len(e.Skipped) != 3 || e.Skipped[2].Name != "X-Canary" {
		t.Fatalf("json: exit %d %v: %s", code, err, out)
	}
	if _, errOut, code := runCLI(t, "-explain", "GET /relative", "-config", cfg); code != 2 || !strings.Contains(errOut, "absolute") {
		t.Fatalf("relative URL: exit %d %s", code, errOut)
	}
}
