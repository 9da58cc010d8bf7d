//go:build unix

package main

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestOutOfDescriptorsKeepsServing: started under `ulimit -n 64`, the
// gateway takes 120 idle connections (far past its descriptors), logs the
// shortage (once, not per retry) and keeps running; when they close, it serves again.
// Before, the accept error stopped the plain listener and the process.
func TestOutOfDescriptorsKeepsServing(t *testing.T) {
	b := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  limits: {max_connections: 1000}\n", b))
	_, url, logs := startCommand(t, exec.Command("sh", "-c", `ulimit -n 64 && exec "$0" "$@"`, binary, "-config", cfg, "-listen", "127.0.0.1:0"))
	addr := strings.TrimPrefix(url, "http://")
	get := func() (int, error) {
		code, _, err := (&fasthttp.Client{}).GetTimeout(nil, url+"/x", 5*time.Second)
		return code, err
	}
	if code, err := get(); err != nil || code != 200 {
		t.Fatalf("gateway not serving: %d %v\n%s", code, err, logs)
	}
	var conns []net.Conn
	for range 120 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break // the kernel's queue is full: as many as it takes
		}
		conns = append(conns, c)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "accept failed; retrying") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "accept failed; retrying") {
		t.Fatalf("no shortage logged after %d connections:\n%s", len(conns), logs)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	for i := 0; ; i++ {
		if code, err := get(); err == nil && code == 200 {
			break
		} else if i == 100 {
			t.Fatalf("not serving after the connections closed: %d %v\n%s", code, err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(logs.String(), "premier stopped") {
		t.Fatalf("the gateway stopped:\n%s", logs)
	}
	// Once per shortage, not per retry (tens over these seconds); closing
	// the connections may end it and start it again briefly.
	if n := strings.Count(logs.String(), "accept failed; retrying"); n > 3 {
		t.Errorf("the shortage logged %d times, want about once", n)
	}
}
