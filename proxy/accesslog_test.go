package proxy

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/wait"
)

// readAccessLog returns the JSON lines of path, each decoded, once it
// holds at least n of them.
func readAccessLog(t *testing.T, path string, n int) []map[string]any {
	t.Helper()
	var out []map[string]any
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(path)
			t.Logf("%s:\n%s", path, b)
		}
	}()
	wait.Until(t, "the access log's lines", func() bool {
		b, _ := os.ReadFile(path)
		out = out[:0]
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("not JSON: %q: %v", sc.Text(), err)
			}
			out = append(out, m)
		}
		return len(out) >= n
	})
	return out
}

// byRequestID finds the line of request ID id: the last such line: a request repeated until it is a cache hit logs a
// miss first under the same ID.
func byRequestID(t *testing.T, lines []map[string]any, id string) map[string]any {
	t.Helper()
	for i := len(lines) - 1; i >= 0; i-- {
		if l := lines[i]; l["request_id"] == id {
			return l
		}
	}
	t.Fatalf("no line for request %s in %v", id, lines)
	return nil
}

var logTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// checkLine compares every field of line with want; "*" accepts any value
// of the right type, and time and the durations are checked for shape.
func checkLine(t *testing.T, name string, line, want map[string]any) {
	t.Helper()
	if len(line) != 22 {
		t.Errorf("%s: %d fields, want 22: %v", name, len(line), line)
	}
	if s, _ := line["time"].(string); !logTime.MatchString(s) {
		t.Errorf("%s: time %q", name, line["time"])
	}
	for _, k := range []string{"duration_ms", "upstream_ms", "bytes_in", "bytes_out", "retries", "status"} {
		if _, ok := line[k].(float64); !ok {
			t.Errorf("%s: %s = %#v, want a number", name, k, line[k])
		}
	}
	for k, v := range want {
		if v == "*" {
			if _, ok := line[k]; !ok {
				t.Errorf("%s: no %s", name, k)
			}
			continue
		}
		if line[k] != v {
			t.Errorf("%s: %s = %#v, want %#v", name, k, line[k], v)
		}
	}
}

// Every field of the JSON access log for a proxied request, a cached one,
// a rate-limited one, a gateway 400 and a WebSocket session (logged when
// it closes); secrets (api_key, the auth query parameter, Authorization,
// cookies) never reach the file.
func TestAccessLogJSONFields(t *testing.T) {
	b := startWSBackend(t)
	path := filepath.Join(t.TempDir(), "access.log")
	h := startGateway(t, configYAML(b.url, `  access_log: {path: `+path+`}
  paths:
    - pattern: /cached
      features:
        cache: {expire_s: 60}
    - pattern: /limited
      features:
        rate_limit: {algorithm: fixed_window, quota: 1, duration: 60}
    - pattern: /ws
    - pattern: /keyed
      features:
        auth:
          api_keys:
            query: token
            keys: [{name: alice, sha256: `+keyHash("k-alice")+`}]
`))
	send := func(id, method, target string, hdr map[string]string) *http.Response {
		if hdr == nil {
			hdr = map[string]string{}
		}
		hdr["X-Request-ID"] = id
		resp, _ := do(t, method, h.url+target, nil, hdr)
		return resp
	}
	send("proxied", "GET", "/plain?a=1&api_key=s3cret", map[string]string{"User-Agent": "ua/1", "Referer": "http://ref/", "Authorization": "Bearer s3cret-auth", "Cookie": "sid=s3cret-cookie"})
	send("miss", "GET", "/cached", nil)
	hits := 0 // lines logged as "hit": the misses before the hit too
	wait.Until(t, "a cache hit", func() bool {
		hits++
		return send("hit", "GET", "/cached", nil).Header.Get("X-Cache") == "HIT"
	})
	send("first", "GET", "/limited", nil)
	if r := send("limited", "GET", "/limited", nil); r.StatusCode != 429 {
		t.Fatalf("limited: %d", r.StatusCode)
	}
	if r := send("keyed", "GET", "/keyed?token=k-alice&x=1", nil); r.StatusCode == 401 {
		t.Fatalf("keyed: %d", r.StatusCode)
	}
	rawRequest(t, h.addr, "GET /a%00?q=1 HTTP/1.1\r\nHost: gw\r\nX-Request-ID: bad\r\n\r\n")
	c, _, err := wsDial(t, wsURL(h, "/ws"), http.Header{"X-Request-ID": {"ws"}})
	if err != nil {
		t.Fatal(err)
	}
	echo(t, c, websocket.TextMessage, []byte("hello"))
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	_, _, _ = c.ReadMessage()
	c.Close()

	lines := readAccessLog(t, path, 7+hits)
	backend := b.url
	checkLine(t, "proxied", byRequestID(t, lines, "proxied"), map[string]any{
		"client_ip": "127.0.0.1", "method": "GET", "host": h.addr, "path": "/plain", "query": "a=1&api_key=REDACTED",
		"proto": "HTTP/1.1", "status": 404.0, "bytes_in": 0.0, "bytes_out": 24.0, "upstream": backend,
		"rule": "default", "cache": "", "limited": false, "retries": 0.0, "consumer": "", "user_agent": "ua/1",
		"referer": "http://ref/", "tls": "",
	})
	checkLine(t, "miss", byRequestID(t, lines, "miss"), map[string]any{"path": "/cached", "upstream": backend, "rule": "/cached", "cache": "MISS"})
	checkLine(t, "hit", byRequestID(t, lines, "hit"), map[string]any{"path": "/cached", "upstream": "cache", "rule": "/cached", "cache": "HIT", "upstream_ms": 0.0})
	checkLine(t, "limited", byRequestID(t, lines, "limited"), map[string]any{"status": 429.0, "upstream": "gateway", "rule": "/limited", "limited": true})
	checkLine(t, "keyed", byRequestID(t, lines, "keyed"), map[string]any{"consumer": "alice", "query": "x=1", "rule": "/keyed"})
	checkLine(t, "400", byRequestID(t, lines, "bad"), map[string]any{"status": 400.0, "upstream": "gateway", "rule": "gateway",
		"path": "/a%00", "query": "q=1", "host": "gw", "bytes_out": 29.0})
	ws := byRequestID(t, lines, "ws")
	checkLine(t, "ws", ws, map[string]any{"status": 101.0, "upstream": backend, "rule": "/ws", "path": "/ws"})
	if ws["bytes_in"].(float64) < 5 || ws["bytes_out"].(float64) < 5 {
		t.Errorf("ws bytes: in %v out %v", ws["bytes_in"], ws["bytes_out"])
	}
	raw, _ := os.ReadFile(path)
	for _, secret := range []string{"s3cret", "k-alice", "Bearer", "sid="} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the access log holds %q:\n%s", secret, raw)
		}
	}
}

// A reload turns the access log on, changes it and turns it off.
func TestAccessLogReload(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	h := startGateway(t, configYAML(backend, ""))
	reload := func(rest string) {
		t.Helper()
		if err := h.gw.reloadBytes("test.yaml", []byte(configYAML(backend, rest))); err != nil {
			t.Fatal(err)
		}
	}
	do(t, "GET", h.url+"/off", nil, nil)
	reload("  access_log: {path: " + a + "}\n")
	do(t, "GET", h.url+"/on-a", nil, nil)
	readAccessLog(t, a, 1)
	reload("  access_log: {path: " + b + ", format: combined}\n")
	do(t, "GET", h.url+"/on-b", nil, nil)
	wait.Until(t, "the combined line in the new file", func() bool {
		got, _ := os.ReadFile(b)
		return strings.Contains(string(got), `"GET /on-b HTTP/1.1" 200 2 "-" "Go-http-client/1.1"`)
	})
	reload("")
	do(t, "GET", h.url+"/off-again", nil, nil)
	time.Sleep(100 * time.Millisecond)
	ga, _ := os.ReadFile(a)
	gb, _ := os.ReadFile(b)
	if strings.Count(string(ga), "\n") != 1 || !strings.Contains(string(ga), `"path":"/on-a"`) || strings.Contains(string(ga)+string(gb), "off") {
		t.Fatalf("a: %q\nb: %q", ga, gb)
	}
	// A file that cannot be opened fails the reload and keeps the log as it was.
	if err := h.gw.reloadBytes("test.yaml", []byte(configYAML(backend, "  access_log: {path: "+dir+"/no/such/dir/x.log}\n"))); err == nil {
		t.Fatal("a reload with an access log that cannot be opened was accepted")
	}
}

// Reopen (SIGUSR1's work) after the file was moved away: the moved file
// gets nothing new, a new file of the same name gets the next lines.
func TestAccessLogReopen(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	path := filepath.Join(t.TempDir(), "access.log")
	h := startGateway(t, configYAML(backend, "  access_log: {path: "+path+"}\n"))
	do(t, "GET", h.url+"/before", nil, nil)
	readAccessLog(t, path, 1)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	h.gw.ReopenLogs()
	wait.Until(t, "the reopened file", func() bool { _, err := os.Stat(path); return err == nil })
	do(t, "GET", h.url+"/after", nil, nil)
	lines := readAccessLog(t, path, 1)
	old, _ := os.ReadFile(path + ".1")
	if len(lines) != 1 || lines[0]["path"] != "/after" || strings.Count(string(old), "\n") != 1 || !strings.Contains(string(old), "/before") {
		t.Fatalf("new: %v\nold: %q", lines, old)
	}
}
