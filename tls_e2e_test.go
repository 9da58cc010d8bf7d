package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/tlstest"
)

// startBinaryTLS runs the gateway binary with the extra arguments and
// returns the address of each listener by scheme, from its "premier
// listening" lines.
func startBinaryTLS(t *testing.T, config string, want int, args ...string) (*exec.Cmd, map[string]string, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"-config", config}, args...)...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	logs := &lockedBuffer{}
	type listening struct{ scheme, addr string }
	found := make(chan listening, 4)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`premier listening" addr=(\S+) scheme=(\S+)`)
		for sc.Scan() {
			logs.add(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- listening{m[2], m[1]}
			}
		}
	}()
	addrs := map[string]string{}
	for len(addrs) < want {
		select {
		case l := <-found:
			addrs[l.scheme] = l.addr
		case <-time.After(30 * time.Second):
			t.Fatalf("gateway did not start: %s", logs)
		}
	}
	return cmd, addrs, logs
}

// TestTLSBinary: the command serves the plain and the TLS listener
// (-listen, -tls-listen) with the same rules: the backend sees
// X-Forwarded-Proto http or https; the dashboard and /metrics answer the
// same on both, with the same access rules; SIGTERM drains both and exits
// 0. `listen: ""` serves TLS alone.
func TestTLSBinary(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"localhost", "127.0.0.1"}})
	b := backend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyString("proto=" + string(ctx.Request.Header.Peek("X-Forwarded-Proto")))
	})
	tlsBlock := fmt.Sprintf("  tls:\n    listen: \"127.0.0.1:1\"\n    certificates:\n      - {cert_file: %q, key_file: %q}\n", leaf.CertFile, leaf.KeyFile)
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n", b)+tlsBlock)
	cmd, addrs, logs := startBinaryTLS(t, cfg, 2, "-listen", "127.0.0.1:0", "-tls-listen", "127.0.0.1:0")
	tr := &http.Transport{TLSClientConfig: ca.ClientConfig("localhost")}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	fetch := func(scheme, path, host string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", scheme+"://"+addrs[scheme]+path, nil)
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", scheme, path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, scheme := range []string{"http", "https"} {
		if code, body := fetch(scheme, "/x", "localhost"); code != 200 || body != "proto="+scheme {
			t.Errorf("%s: %d %q", scheme, code, body)
		}
	}
	for _, path := range []string{"/__premier/", "/__premier/api/snapshot", "/__premier/metrics", "/__premier/api/config/apply"} {
		for _, host := range []string{"localhost", "evil.example"} {
			plainCode, plainBody := fetch("http", path, host)
			tlsCode, tlsBody := fetch("https", path, host)
			if plainCode != tlsCode {
				t.Errorf("%s Host %s: %d over http, %d over https", path, host, plainCode, tlsCode)
			}
			if host == "localhost" && path != "/__premier/api/config/apply" && tlsCode != 200 {
				t.Errorf("%s over https: %d %.80q", path, tlsCode, tlsBody)
			}
			if path == "/__premier/metrics" && host == "localhost" && (!strings.Contains(tlsBody, "premier_") || !strings.Contains(plainBody, "premier_")) {
				t.Errorf("/metrics: %.80q", tlsBody)
			}
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "premier stopped cleanly") {
		t.Errorf("no clean stop: %s", logs)
	}

	// The plain listener off: TLS alone.
	only := writeFile(t, "tls-only.yaml", fmt.Sprintf("premier:\n  listen: \"\"\n  servers: [%q]\n", b)+tlsBlock)
	_, addrs, logs = startBinaryTLS(t, only, 1, "-tls-listen", "127.0.0.1:0")
	if _, ok := addrs["http"]; ok || addrs["https"] == "" {
		t.Fatalf("listeners %v: %s", addrs, logs)
	}
	c, err := tls.Dial("tcp", addrs["https"], ca.ClientConfig("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestTLSCLIErrors: -check refuses a tls block without certificates or
// acme and `listen: ""` without tls, at FILE:LINE:COL; -tls-listen needs a
// tls block; a broken certificate pair stops the start naming its file.
func TestTLSCLIErrors(t *testing.T) {
	none := writeFile(t, "none.yaml", "premier:\n  servers: [\"http://127.0.0.1:9\"]\n  tls:\n    min_version: \"1.3\"\n")
	if _, errOut, code := runCLI(t, "-check", "-config", none); code != 1 || !strings.Contains(errOut, none+":3:3: tls: tls needs certificates or acme") {
		t.Errorf("tls without certificates: %d %s", code, errOut)
	}
	off := writeFile(t, "off.yaml", "premier:\n  listen: \"\"\n  servers: [\"http://127.0.0.1:9\"]\n")
	if _, errOut, code := runCLI(t, "-check", "-config", off); code != 1 || !strings.Contains(errOut, off+":2:3: listen: \"\" turns the plain listener off") {
		t.Errorf("listen off without tls: %d %s", code, errOut)
	}
	plain := writeFile(t, "plain.yaml", "premier:\n  servers: [\"http://127.0.0.1:9\"]\n")
	if _, errOut, code := runCLI(t, "-config", plain, "-tls-listen", "127.0.0.1:0"); code != 2 || !strings.Contains(errOut, "-tls-listen needs a tls block") {
		t.Errorf("-tls-listen without tls: %d %s", code, errOut)
	}
	broken := writeFile(t, "broken.yaml", "premier:\n  servers: [\"http://127.0.0.1:9\"]\n  tls:\n    certificates:\n      - {cert_file: /nonexistent/cert.pem, key_file: /nonexistent/key.pem}\n")
	if _, errOut, code := runCLI(t, "-config", broken, "-listen", "127.0.0.1:0", "-tls-listen", "127.0.0.1:0"); code != 1 || !strings.Contains(errOut, "/nonexistent/cert.pem") {
		t.Errorf("broken pair: %d %s", code, errOut)
	}
}
