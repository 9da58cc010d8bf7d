package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"
	"go.uber.org/goleak"

	"github.com/premier-gateway/premier/internal/leaktest"
)

// TestMain checks for leaked goroutines. Two belong to fasthttp itself and
// outlive Server.Shutdown by design: the worker pool's idle-worker cleaner
// (it sleeps MaxIdleWorkerDuration before seeing the stop signal) and the
// process-wide Date header ticker.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leaktest.FastHTTP()...)
}

// start serves a fresh backend on 127.0.0.1:0 and returns its base URL.
func start(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newBackend("t1").server()
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return "http://" + ln.Addr().String()
}

// client returns an http.Client whose idle connections are closed at cleanup
// (goleak would report their reader goroutines otherwise).
func client(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func TestEchoRoundTripsBodyAndHeaders(t *testing.T) {
	base := start(t)
	c := client(t)
	for _, size := range []int{0, 5, 16 << 10, 3 << 20} {
		body := strings.Repeat("x", size)
		req, _ := http.NewRequest("PUT", base+"/echo?a=1&a=2&b=z", strings.NewReader(body))
		req.Header.Set("X-Test", "yes")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got echoReply
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("X-Backend") != "t1" {
			t.Errorf("X-Backend = %q", resp.Header.Get("X-Backend"))
		}
		if got.Method != "PUT" || got.Path != "/echo" || got.Headers["X-Test"] != "yes" {
			t.Errorf("size %d: got method %q path %q X-Test %q", size, got.Method, got.Path, got.Headers["X-Test"])
		}
		if a := got.Query["a"]; len(a) != 2 || a[0] != "1" || a[1] != "2" || got.Query["b"][0] != "z" {
			t.Errorf("query = %v", got.Query)
		}
		if got.Body != body || got.BodyLen != size {
			t.Errorf("size %d: body len %d / body_len %d", size, len(got.Body), got.BodyLen)
		}
	}

	// binary bodies come back base64-encoded, raw mode returns the bytes as sent
	bin := []byte{0xff, 0x00, 0xfe, 'a'}
	resp, err := c.Post(base+"/echo", "application/x-bin", bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	var got echoReply
	_ = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if !bytes.Equal(got.BodyBase64, bin) {
		t.Errorf("body_base64 = %v", got.BodyBase64)
	}
	resp, err = c.Post(base+"/echo?mode=raw", "application/x-bin", bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(raw, bin) || resp.Header.Get("Content-Type") != "application/x-bin" {
		t.Errorf("raw echo = %v (%s)", raw, resp.Header.Get("Content-Type"))
	}
}

func TestFlakyFailsThenSucceeds(t *testing.T) {
	base := start(t)
	c := client(t)
	want := []int{503, 503, 200, 200}
	for i, w := range want {
		resp, err := c.Get(base + "/flaky?fail=2&key=k1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != w {
			t.Fatalf("call %d: status %d, want %d", i+1, resp.StatusCode, w)
		}
	}
	// another key has its own count
	resp, err := c.Get(base + "/flaky?fail=1&key=k2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("fresh key: status %d, want 503", resp.StatusCode)
	}
}

func TestBytesStreamsN(t *testing.T) {
	base := start(t)
	c := client(t)
	for _, n := range []int{0, 1, 100, streamThreshold, streamThreshold + 1, 10<<20 + 7} {
		resp, err := c.Get(base + "/bytes?n=" + strconv.Itoa(n))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != n || resp.ContentLength != int64(n) {
			t.Fatalf("n=%d: got %d bytes, Content-Length %d", n, len(b), resp.ContentLength)
		}
		if !bytes.Equal(b, patternBytes(n)) {
			t.Fatalf("n=%d: content differs from the pattern", n)
		}
	}
	resp, err := c.Get(base + "/bytes?n=-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("n=-1: status %d", resp.StatusCode)
	}
}

func TestEndpoints(t *testing.T) {
	base := start(t)
	c := client(t)
	cases := []struct {
		path, contains string
		status         int
	}{
		{"/", "/ws/echo", 200},
		{"/small", "Hello", 200},
		{"/healthz", "ok", 200},
		{"/status/418", `"status":418`, 418},
		{"/status/204", "", 204},
		{"/slow?ms=1", `"slept_ms":1`, 200},
		{"/api/users/42", `"name":"user-42"`, 200},
		{"/api/admin/stats", `"admin":true`, 200},
		{"/headers", `"Host"`, 200},
		{"/nope", "not found", 404},
	}
	for _, tc := range cases {
		resp, err := c.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.contains) {
			t.Errorf("%s: %d %q", tc.path, resp.StatusCode, b)
		}
	}
	resp, err := c.Get(base + "/4k")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(b) != 4096 {
		t.Errorf("/4k: %d bytes", len(b))
	}
	if n := len(smallBody); n < 90 || n > 110 {
		t.Errorf("/small body is %d bytes, want about 100", n)
	}
}

func TestWebSocketEcho(t *testing.T) {
	base := start(t)
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if resp.Header.Get("X-Backend") != "t1" {
		t.Errorf("handshake X-Backend = %q", resp.Header.Get("X-Backend"))
	}
	msgs := []struct {
		typ  int
		data []byte
	}{
		{websocket.TextMessage, []byte("hello")},
		{websocket.BinaryMessage, patternBytes(100 << 10)},
		{websocket.TextMessage, []byte("")},
	}
	for _, m := range msgs {
		if err := conn.WriteMessage(m.typ, m.data); err != nil {
			t.Fatal(err)
		}
		typ, got, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if typ != m.typ || !bytes.Equal(got, m.data) {
			t.Fatalf("echo mismatch: type %d len %d, want type %d len %d", typ, len(got), m.typ, len(m.data))
		}
	}
	_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}

// TestRevalAnswers304: /reval/ID is fresh for a second with a fixed ETag,
// and a request carrying that ETag gets a 304 without a body.
func TestRevalAnswers304(t *testing.T) {
	base := start(t)
	c := client(t)
	resp, err := c.Get(base + "/reval/7")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"r7"` || resp.Header.Get("Cache-Control") != "max-age=1" {
		t.Fatalf("/reval/7: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ := http.NewRequest("GET", base+"/reval/7", nil)
	req.Header.Set("If-None-Match", `"r7"`)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 304 || len(b) != 0 || resp.Header.Get("ETag") != `"r7"` {
		t.Fatalf("conditional /reval/7: %d %q %v", resp.StatusCode, b, resp.Header)
	}
}

// TestJSON64k: /json64k is a valid JSON array of exactly 64 KiB, sent as
// application/json and never encoded by the backend itself.
func TestJSON64k(t *testing.T) {
	base := start(t)
	req, _ := http.NewRequest("GET", base+"/json64k", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var records []map[string]any
	if resp.StatusCode != 200 || len(b) != 64<<10 || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Content-Encoding") != "" || json.Unmarshal(b, &records) != nil || len(records) < 200 {
		t.Fatalf("/json64k: %d, %d bytes, %v, %d records", resp.StatusCode, len(b), resp.Header, len(records))
	}
}
