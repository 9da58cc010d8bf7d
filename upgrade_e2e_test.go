//go:build !race && unix

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/loadgen"
	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/internal/upgrade"
	"github.com/premier-gateway/premier/internal/wait"
)

// The binary upgrade (SIGUSR2) with the real binary, under load from the
// project's traffic generator: 64 connections, half kept alive, half new
// for each request. These run in make test's non-race pass.

// upgradeGateway is a gateway started from its own copy of the binary (the
// file an upgrade replaces), logging to a file every generation shares.
type upgradeGateway struct {
	t       *testing.T
	dir     string
	exe     string
	pidfile string
	logPath string
	addr    string
	first   *exec.Cmd
}

func startUpgradeGateway(t *testing.T, config string, extra ...string) *upgradeGateway {
	t.Helper()
	dir := t.TempDir()
	g := &upgradeGateway{t: t, dir: dir, exe: filepath.Join(dir, "premier"),
		pidfile: filepath.Join(dir, "premier.pid"), logPath: filepath.Join(dir, "premier.log")}
	copyExecutable(t, binary, g.exe)
	logf, err := os.Create(g.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	args := append([]string{"-config", config, "-listen", "127.0.0.1:0", "-pidfile", g.pidfile, "-upgrade-timeout", "5s"}, extra...)
	g.first = exec.Command(g.exe, args...)
	g.first.Stdout, g.first.Stderr = logf, logf // files: the new generations inherit them
	if err := g.first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pid, err := upgrade.ReadPIDFile(g.pidfile); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_ = g.first.Process.Kill()
		_ = g.first.Wait()
	})
	re := regexp.MustCompile(`premier listening" addr=(\S+)`)
	wait.Until(t, "the gateway listening", func() bool {
		m := re.FindStringSubmatch(g.logs())
		if m != nil {
			g.addr = m[1]
		}
		return m != nil
	})
	g.waitPID(g.first.Process.Pid)
	return g
}

func copyExecutable(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to+".tmp", b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(to+".tmp", to); err != nil { // as a package manager replaces a binary
		t.Fatal(err)
	}
}

func (g *upgradeGateway) logs() string {
	b, _ := os.ReadFile(g.logPath)
	return string(b)
}

// pid is the PID the pidfile holds.
func (g *upgradeGateway) pid() int {
	pid, _ := upgrade.ReadPIDFile(g.pidfile)
	return pid
}

func (g *upgradeGateway) waitPID(pid int) {
	g.t.Helper()
	wait.Until(g.t, fmt.Sprintf("pidfile naming %d", pid), func() bool { return g.pid() == pid })
}

// gone reports whether pid has exited (a zombie nobody reaped counts).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false // no procfs (macOS): kill said it exists
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] == 'Z'
}

// upgradeOnce sends SIGUSR2 to the running generation and waits until a
// new one has taken over the pidfile and the old one is gone; it returns
// the new PID.
func (g *upgradeGateway) upgradeOnce() int {
	g.t.Helper()
	old := g.pid()
	if err := syscall.Kill(old, syscall.SIGUSR2); err != nil {
		g.t.Fatal(err)
	}
	wait.Until(g.t, "a new process in the pidfile", func() bool { p := g.pid(); return p != 0 && p != old })
	if old == g.first.Process.Pid {
		if err := g.first.Wait(); err != nil {
			g.t.Fatalf("the first process exited with %v:\n%s", err, g.logs())
		}
	}
	wait.Until(g.t, fmt.Sprintf("old process %d gone", old), func() bool { return gone(old) })
	return g.pid()
}

func upgradeConfig(t *testing.T) string {
	be := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	return writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  limits: {shutdown_grace: 2}\n", be))
}

func startLoad(t *testing.T, addr string) *loadgen.Run {
	t.Helper()
	run := loadgen.Start(loadgen.Options{Addr: addr, Path: "/load", KeepAlive: 32, NewConn: 32})
	t.Cleanup(func() { run.Stop() })
	waitAnswered(t, run, 200)
	return run
}

// waitAnswered waits until n more requests have been answered.
func waitAnswered(t *testing.T, run *loadgen.Run, n int64) {
	t.Helper()
	base := run.Stats().OK
	wait.Until(t, "requests answered", func() bool { return run.Stats().OK >= base+n })
}

func checkNothingLost(t *testing.T, run *loadgen.Run, g *upgradeGateway) loadgen.Stats {
	t.Helper()
	st := run.Stop()
	t.Logf("load: %s", st)
	if st.Failed != 0 || st.ConnErrors != 0 || st.Sent != st.OK {
		t.Errorf("requests lost across the upgrade: %s; first errors:\n%s\nlogs:\n%s", st, strings.Join(run.Errors(), "\n"), g.logs())
	}
	return st
}

// TestUpgradeUnderLoad: SIGUSR2 three times in a row under load; each time
// a new process serves, the old one exits 0 and is gone, the pidfile
// follows, and not one request fails or loses its connection.
func TestUpgradeUnderLoad(t *testing.T) {
	g := startUpgradeGateway(t, upgradeConfig(t))
	run := startLoad(t, g.addr)
	pids := []int{g.pid()}
	for i := 0; i < 3; i++ {
		pid := g.upgradeOnce()
		pids = append(pids, pid)
		waitAnswered(t, run, 200) // the new process serves
	}
	checkNothingLost(t, run, g)
	if n := strings.Count(g.logs(), "upgrade: new process ready, draining this one"); n != 3 {
		t.Errorf("%d upgrades logged, want 3:\n%s", n, g.logs())
	}
	t.Logf("generations: %v", pids)

	// The last generation stops on SIGTERM and removes the pidfile it owns.
	last := g.pid()
	_ = syscall.Kill(last, syscall.SIGTERM)
	wait.Until(t, "the last process gone", func() bool { return gone(last) })
	if _, err := os.Stat(g.pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left after a clean exit: %v", err)
	}
}

// TestUpgradeBrokenBinaryKeepsServing: the file at the binary's path is
// replaced by one that exits 1 at once, then by one that never says it is
// ready: SIGUSR2 each time leaves the old process serving, every request
// answered, and a log line saying why.
func TestUpgradeBrokenBinaryKeepsServing(t *testing.T) {
	g := startUpgradeGateway(t, upgradeConfig(t), "-upgrade-timeout", "500ms")
	run := startLoad(t, g.addr)
	pid := g.pid()

	for i, script := range []string{"#!/bin/sh\necho broken >&2\nexit 1\n", "#!/bin/sh\nexec sleep 60\n"} {
		if err := os.WriteFile(g.exe+".tmp", []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(g.exe+".tmp", g.exe); err != nil {
			t.Fatal(err)
		}
		_ = syscall.Kill(pid, syscall.SIGUSR2)
		wait.Until(t, "the failure logged", func() bool {
			return strings.Count(g.logs(), "upgrade failed, this process keeps serving") == i+1
		})
		waitAnswered(t, run, 200)
		if g.pid() != pid || gone(pid) {
			t.Fatalf("the old process %d no longer serves (pidfile %d):\n%s", pid, g.pid(), g.logs())
		}
	}
	logs := g.logs()
	for _, why := range []string{"exited before it was ready: exit status 1", "was not ready within 500ms"} {
		if !strings.Contains(logs, why) {
			t.Errorf("no log line saying %q:\n%s", why, logs)
		}
	}
	// A working binary again: the upgrade goes through.
	copyExecutable(t, binary, g.exe)
	g.upgradeOnce()
	waitAnswered(t, run, 200)
	checkNothingLost(t, run, g)
}

// TestUpgradeRefusesASecondOne: SIGUSR2 while an upgrade waits for its new
// process is refused with a log line; the first one completes.
func TestUpgradeRefusesASecondOne(t *testing.T) {
	g := startUpgradeGateway(t, upgradeConfig(t))
	old := g.pid()
	// A new binary that takes its time to start: a script that waits, then
	// runs the real binary with the same arguments.
	real := filepath.Join(g.dir, "premier-real")
	copyExecutable(t, binary, real)
	script := fmt.Sprintf("#!/bin/sh\nsleep 0.5\nexec %q \"$@\"\n", real)
	if err := os.WriteFile(g.exe+".tmp", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(g.exe+".tmp", g.exe); err != nil {
		t.Fatal(err)
	}
	_ = syscall.Kill(old, syscall.SIGUSR2)
	wait.Until(t, "the upgrade started", func() bool { return strings.Contains(g.logs(), "upgrade: starting the new process") })
	_ = syscall.Kill(old, syscall.SIGUSR2)
	wait.Until(t, "the refusal", func() bool { return strings.Contains(g.logs(), "upgrade refused: one is already in progress") })
	wait.Until(t, "the new process", func() bool { p := g.pid(); return p != 0 && p != old })
	if err := g.first.Wait(); err != nil {
		t.Fatalf("old process: %v", err)
	}
	if n := strings.Count(g.logs(), "upgrade: starting the new process"); n != 1 {
		t.Errorf("%d upgrades started, want 1:\n%s", n, g.logs())
	}
}

// wsEchoBackend echoes every WebSocket message.
func wsEchoBackend(t *testing.T) string {
	up := websocket.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true }}
	return backend(t, func(ctx *fasthttp.RequestCtx) {
		if !websocket.FastHTTPIsWebSocketUpgrade(ctx) {
			ctx.SetBodyString("ok")
			return
		}
		_ = up.Upgrade(ctx, func(c *websocket.Conn) {
			defer c.Close()
			for {
				mt, msg, err := c.ReadMessage()
				if err != nil || c.WriteMessage(mt, msg) != nil {
					return
				}
			}
		})
	})
}

// wsOpen dials a relayed WebSocket, checks it echoes, and returns a
// function that reads until the close frame and returns its code and text
// (a connection cut without one fails the test).
func wsOpen(t *testing.T, addr string) func() (int, string) {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "hi" {
		t.Fatalf("echo: %q %v", msg, err)
	}
	return func() (int, string) {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			_, _, err := c.ReadMessage()
			if err == nil {
				continue
			}
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("the WebSocket was cut without a close frame: %v", err)
			}
			return ce.Code, ce.Text
		}
	}
}

// TestUpgradeClosesWebSocketsLikeSIGTERM: a relayed WebSocket open before
// SIGUSR2 is closed by the old process with 1001 and the same reason
// SIGTERM gives (one rule for both), while the new process serves a new
// WebSocket; then SIGTERM closes that one the same way.
func TestUpgradeClosesWebSocketsLikeSIGTERM(t *testing.T) {
	be := wsEchoBackend(t)
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  limits: {shutdown_grace: 1}\n", be))
	g := startUpgradeGateway(t, cfg)
	before := wsOpen(t, g.addr)
	g.upgradeOnce()
	upCode, upText := before()
	after := wsOpen(t, g.addr) // served by the new process
	last := g.pid()
	_ = syscall.Kill(last, syscall.SIGTERM)
	termCode, termText := after()
	wait.Until(t, "the last process gone", func() bool { return gone(last) })
	if upCode != websocket.CloseGoingAway || upCode != termCode || upText != termText {
		t.Fatalf("upgrade closed the WebSocket with %d %q, SIGTERM with %d %q: want 1001 both, the same reason", upCode, upText, termCode, termText)
	}
}

// TestUpgradeNotifiesSystemd: under a service manager ($NOTIFY_SOCKET, here
// a real unixgram socket of the test) the first process says READY=1, and
// on upgrade the new one says it is the main process and ready, the old
// one names it too; the pidfile follows.
func TestUpgradeNotifiesSystemd(t *testing.T) {
	sockPath := filepath.Join(t.TempDir(), "notify.sock")
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	msgs := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := pc.ReadFromUnix(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	next := func() string {
		t.Helper()
		select {
		case m := <-msgs:
			return m
		case <-time.After(20 * time.Second):
			t.Fatal("no sd_notify message")
			return ""
		}
	}
	t.Setenv("NOTIFY_SOCKET", sockPath)
	g := startUpgradeGateway(t, upgradeConfig(t))
	first := g.pid()
	if m := next(); m != "READY=1" {
		t.Fatalf("first message %q, want READY=1", m)
	}
	second := g.upgradeOnce()
	want := map[string]bool{fmt.Sprintf("MAINPID=%d\nREADY=1", second): true, fmt.Sprintf("MAINPID=%d", second): true}
	for range 2 {
		m := next()
		if !want[m] {
			t.Fatalf("after the upgrade %d -> %d: unexpected message %q", first, second, m)
		}
		delete(want, m)
	}
	_ = syscall.Kill(second, syscall.SIGHUP)
	if m := next(); !strings.HasPrefix(m, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Fatalf("on SIGHUP: %q", m)
	}
	if m := next(); m != "READY=1" {
		t.Fatalf("after the reload: %q", m)
	}
}

// TestUpgradeInheritsTLSListener: the TLS listener is handed over as well:
// the new process serves HTTPS on the same address (its own TLS layer on
// the inherited socket) once the old one is gone.
func TestUpgradeInheritsTLSListener(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"localhost"}})
	be := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  limits: {shutdown_grace: 1}\n  tls:\n    listen: \"127.0.0.1:1\"\n    certificates:\n      - {cert_file: %q, key_file: %q}\n",
		be, leaf.CertFile, leaf.KeyFile))
	g := startUpgradeGateway(t, cfg, "-tls-listen", "127.0.0.1:0")
	re := regexp.MustCompile(`premier listening" addr=(\S+) scheme=https`)
	m := re.FindStringSubmatch(g.logs())
	if m == nil {
		t.Fatalf("no TLS listener:\n%s", g.logs())
	}
	fetch := func() {
		t.Helper()
		tr := &http.Transport{TLSClientConfig: ca.ClientConfig("localhost")}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + m[1] + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
	}
	fetch()
	g.upgradeOnce()
	fetch()
	if n := len(re.FindAllString(g.logs(), -1)); n != 2 || strings.Count(g.logs(), "addr="+m[1]+" scheme=https") != 2 {
		t.Fatalf("want the new process listening on the same TLS address:\n%s", g.logs())
	}
}
