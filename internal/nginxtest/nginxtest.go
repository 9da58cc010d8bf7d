package nginxtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Proxy is one nginx process proxying to a single upstream.
type Proxy struct {
	addr string
}

// Addr is the host:port nginx listens on.
func (p *Proxy) Addr() string { return p.addr }

// URL is http://host:port.
func (p *Proxy) URL() string { return "http://" + p.addr }

// Start runs nginx for t with `proxy_pass http://upstream;` (upstream is
// host:port) and the extra directives (each one ending in ';') in its one
// location; it is killed when t ends. Start returns once nginx accepts
// connections.
func Start(t testing.TB, upstream string, directives ...string) *Proxy {
	t.Helper()
	return start(t, upstream, "", directives)
}

// CacheZone is the proxy_cache zone StartCaching declares.
const CacheZone = "cmp"

// StartCaching is Start with nginx's response cache on, as a deployment
// of `proxy_cache` would set it: a zone (CacheZone) in the test's temp
// dir, `proxy_cache`, the key nginx uses by default, revalidation with
// conditional requests, one fill per key (`proxy_cache_lock`), and the
// cache's verdict in an `X-Cache-Status` response header (HIT, MISS,
// EXPIRED, STALE, UPDATING, REVALIDATED, BYPASS). The extra directives
// go after these in the location, so a test can override any of them.
func StartCaching(t testing.TB, upstream string, directives ...string) *Proxy {
	t.Helper()
	base := []string{
		"proxy_cache " + CacheZone + ";",
		"proxy_cache_revalidate on;",
		"proxy_cache_lock on;",
		"proxy_http_version 1.1;",
		"proxy_set_header Connection \"\";",
		"add_header X-Cache-Status $upstream_cache_status always;",
	}
	return start(t, upstream, "proxy_cache_path {dir}/cache keys_zone="+CacheZone+":4m;", append(base, directives...))
}

// start writes nginx's config (httpDirectives in its http block, with
// {dir} for the test's temp dir; directives in the location) and runs it.
func start(t testing.TB, upstream, httpDirectives string, directives []string) *Proxy {
	t.Helper()
	bin := path(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	// One process, in the foreground: killing it leaves no worker behind.
	conf := fmt.Sprintf(`master_process off;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	%[5]s
	server {
		listen %[2]s;
		location / {
			proxy_pass http://%[3]s;
			%[4]s
		}
	}
}
`, dir, addr, upstream, strings.Join(directives, "\n\t\t\t"), strings.ReplaceAll(httpDirectives, "{dir}", dir))
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", file, "-e", filepath.Join(dir, "error.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited before accepting connections: %v\n%s", waitErr, log)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return &Proxy{addr: addr}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// path finds the nginx binary: on PATH, or in /usr/sbin, where Debian puts
// it and which a non-root PATH often lacks.
func path(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx not installed (apt-get install -y nginx); the tests behind a real reverse proxy must run in CI")
	}
	t.Skip("nginx not installed (apt-get install -y nginx)")
	return ""
}
