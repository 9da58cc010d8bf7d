package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// hostAddr returns an address of this host that is not loopback, so a
// connection to it arrives from a non-loopback peer (as a remote client
// would), or "" when the host has none.
func hostAddr() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

func fetch(t *testing.T, url string, hdr map[string]string) (int, string) {
	t.Helper()
	return send(t, "GET", url, "", hdr)
}

// send makes one request and returns its status and body. A body is sent
// as JSON; hdr may set "Host" to ask for another virtual host.
func send(t *testing.T, method, url, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDashboardNotExposedByDefault: scenario 63 with the real binary
// listening on every interface. With no dashboard.token, a client from
// another address (or behind a proxy) gets the gateway's plain 404 for
// every dashboard path and variant (400 for an encoded slash), and
// nothing reaches the backend;
// loopback clients are served. With a token, remote clients need it.
func TestDashboardNotExposedByDefault(t *testing.T) {
	var hits []string
	be := backend(t, func(ctx *fasthttp.RequestCtx) {
		hits = append(hits, string(ctx.RequestURI()))
		ctx.SetBodyString("backend")
	})
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n", be))
	_, url, _ := startBinaryOn(t, cfg, "0.0.0.0:0")
	port := url[strings.LastIndexByte(url, ':')+1:]
	local := "http://127.0.0.1:" + port
	if code, _ := fetch(t, local+"/__premier/api/snapshot", nil); code != 200 {
		t.Fatalf("loopback client: %d", code)
	}
	remote, remoteHdr := local, map[string]string{"X-Forwarded-For": "203.0.113.9"}
	if ip := hostAddr(); ip != "" {
		remote, remoteHdr = "http://"+ip+":"+port, nil
	}
	for _, p := range []string{"/__premier/", "/__premier", "/__premier/api/config", "/__premier/api/snapshot",
		"/__premier/metrics", "/__premier/login", "/__premier/assets/app.js", "/%5F%5Fpremier/api/config",
		"/x/../__premier/api/config", "//__premier/api/config", "/__premier%2Fapi/config"} {
		code, body := fetch(t, remote+p, remoteHdr)
		if (code != 404 && code != 400) || strings.Contains(body, "premier:") {
			t.Errorf("remote %s: %d %.80s", p, code, body)
		}
	}
	if len(hits) != 0 {
		t.Errorf("dashboard paths forwarded to the backend: %v", hits)
	}
	// With a token, a remote client must present it.
	cfg2 := writeFile(t, "gw2.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  dashboard:\n    token: s3cret-token\n", be))
	_, url2, _ := startBinaryOn(t, cfg2, "0.0.0.0:0")
	port2 := url2[strings.LastIndexByte(url2, ':')+1:]
	remote2 := "http://127.0.0.1:" + port2
	if ip := hostAddr(); ip != "" {
		remote2 = "http://" + ip + ":" + port2
	}
	if code, _ := fetch(t, remote2+"/__premier/api/config", remoteHdr); code != 401 {
		t.Errorf("remote without token: %d", code)
	}
	if code, _ := fetch(t, remote2+"/__premier/api/config", map[string]string{"Authorization": "Bearer s3cret-token"}); code != 200 {
		t.Errorf("remote with token: %d", code)
	}
}

// TestSecretsStayOutOfResponsesAndLogs: scenario 67. Secrets come from
// the environment (${VAR}): the config API shows the reference, never the
// value; the snapshot, metrics and logs never contain it; a Redis URL's
// password never appears in -check output or startup errors.
func TestSecretsStayOutOfResponsesAndLogs(t *testing.T) {
	const token = "tok-7f3a9c1e5b"
	t.Setenv("PREMIER_TEST_DASH_TOKEN", token)
	be := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  dashboard:\n    token: ${PREMIER_TEST_DASH_TOKEN}\n", be))
	cmd, url, logs := startBinary(t, cfg)
	auth := map[string]string{"Authorization": "Bearer " + token}
	fetch(t, url+"/some/path", nil)
	for _, p := range []string{"/__premier/api/config", "/__premier/api/snapshot", "/__premier/metrics", "/__premier/api/config/versions", "/__premier/api/requests"} {
		code, body := fetch(t, url+p, auth)
		if code != 200 || strings.Contains(body, token) {
			t.Errorf("%s: %d, token in body: %v", p, code, strings.Contains(body, token))
		}
		if p == "/__premier/api/config" && !strings.Contains(body, "${PREMIER_TEST_DASH_TOKEN}") {
			t.Errorf("config text does not show the reference: %s", body)
		}
	}
	fetch(t, url+"/__premier/api/config", map[string]string{"Authorization": "Bearer wrong-" + token})
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	if strings.Contains(logs.String(), token) {
		t.Errorf("token in logs: %s", logs)
	}

	const pw = "hunter2-pw"
	redisCfg := func(url string) string {
		return writeFile(t, "redis.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n  redis: {url: %q}\n  paths:\n    - pattern: /x\n      features:\n        rate_limit: {quota: 5, duration: 60}\n", be, url))
	}
	// Malformed URLs: -check and startup refuse them without echoing the password.
	for _, url := range []string{"http://user:" + pw + "@127.0.0.1:1", "redis://:" + pw + "@[::1"} {
		rc := redisCfg(url)
		out, errOut, code := runCLI(t, "-check", "-config", rc)
		out2, errOut2, code2 := runCLI(t, "-config", rc, "-listen", "127.0.0.1:0")
		if all := out + errOut + out2 + errOut2; strings.Contains(all, pw) || code != 1 || code2 != 1 || !strings.Contains(errOut, "malformed Redis URL") {
			t.Errorf("%s: exit %d/%d, output: %s", url, code, code2, all)
		}
	}
	// A Redis that is down: the gateway fails open and logs, without the password.
	cmd, url, logs = startBinary(t, redisCfg("redis://:"+pw+"@127.0.0.1:1/0"))
	for i := 0; i < 3; i++ {
		if code, _ := fetch(t, url+"/x", nil); code != 200 {
			t.Errorf("fail-open request: %d", code)
		}
	}
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	if strings.Contains(logs.String(), pw) {
		t.Errorf("password in logs: %s", logs)
	}
}
