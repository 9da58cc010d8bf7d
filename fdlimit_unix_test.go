//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestRaiseFileLimit: with the soft limit lowered, raiseFileLimit puts it
// back at the hard limit, in this process.
func TestRaiseFileLimit(t *testing.T) {
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) })
	low := orig
	low.Cur = min(orig.Max, 256)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	soft, hard, err := raiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	var now syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now); err != nil {
		t.Fatal(err)
	}
	if soft != hard || uint64(now.Cur) != uint64(orig.Max) || hard != uint64(orig.Max) {
		t.Fatalf("after the raise: soft %d hard %d (getrlimit %d), want both %d", soft, hard, now.Cur, orig.Max)
	}
}

// TestFileLimitWarningAtStart: started under `ulimit -n 512` (soft and
// hard), the gateway with the default max_connections (10000) says at
// start that the limit is below the 20128 descriptors it needs, and
// serves all the same.
func TestFileLimitWarningAtStart(t *testing.T) {
	b := backend(t, func(ctx *fasthttp.RequestCtx) {})
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n", b))
	cmd := exec.Command("sh", "-c", `ulimit -n 512 && exec "$0" "$@"`, binary, "-config", cfg, "-listen", "127.0.0.1:0")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var logs strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		logs.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "premier listening") {
			break
		}
	}
	if !strings.Contains(logs.String(), "open-file limit (RLIMIT_NOFILE) is below") ||
		!strings.Contains(logs.String(), "limit=512") || !strings.Contains(logs.String(), "needed=20128") {
		t.Fatalf("no warning about the open-file limit:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "premier listening") {
		t.Fatalf("did not start:\n%s", logs.String())
	}
}
