package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
	"go.uber.org/goleak"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/wsrelay"
)

// wsBackend is a real WebSocket echo server. Commands: "close:CODE:reason"
// makes it send that close frame; "die" makes it drop the TCP connection;
// "headers" answers with the X-Forwarded-For and X-Test headers it saw.
// Close frames it receives are reported on closes.
type wsBackend struct {
	url    string
	closes chan *websocket.CloseError
}

func startWSBackend(t *testing.T) *wsBackend {
	t.Helper()
	b := &wsBackend{closes: make(chan *websocket.CloseError, 16)}
	up := websocket.FastHTTPUpgrader{
		CheckOrigin:  func(*fasthttp.RequestCtx) bool { return true },
		Subprotocols: []string{"superchat"},
	}
	b.url = startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if !websocket.FastHTTPIsWebSocketUpgrade(ctx) {
			ctx.SetStatusCode(fasthttp.StatusNotFound)
			ctx.SetBodyString("not a websocket endpoint")
			return
		}
		hdr := fmt.Sprintf("xff=%s test=%s", ctx.Request.Header.Peek("X-Forwarded-For"), ctx.Request.Header.Peek("X-Test"))
		_ = up.Upgrade(ctx, func(c *websocket.Conn) {
			defer c.Close()
			for {
				mt, msg, err := c.ReadMessage()
				if err != nil {
					var ce *websocket.CloseError
					if errors.As(err, &ce) {
						b.closes <- ce
					}
					return
				}
				switch s := string(msg); {
				case s == "die":
					_ = c.UnderlyingConn().Close()
					return
				case s == "headers":
					msg = []byte(hdr)
				case strings.HasPrefix(s, "close:"):
					parts := strings.SplitN(s, ":", 3)
					code, _ := strconv.Atoi(parts[1])
					_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, parts[2]), time.Now().Add(5*time.Second))
					_, _, err := c.ReadMessage() // the client's reply
					var ce *websocket.CloseError
					if errors.As(err, &ce) {
						b.closes <- ce
					}
					return
				}
				if err := c.WriteMessage(mt, msg); err != nil {
					return
				}
			}
		})
	})
	return b
}

func wsURL(h *gwHarness, path string) string { return "ws://" + h.addr + path }

// wsGateway starts the WebSocket test backend and a gateway in front of it,
// checking for leaked goroutines. features, when given, is one features
// entry (YAML, e.g. `websocket: {idle_timeout: 0.2}`) for a rule on /ws.
func wsGateway(t *testing.T, features string) (*wsBackend, *gwHarness) {
	t.Helper()
	noLeaks(t)
	b := startWSBackend(t)
	rest := ""
	if features != "" {
		rest = "  paths:\n    - pattern: /ws\n      features:\n        " + features + "\n"
	}
	return b, startGateway(t, configYAML(b.url, rest))
}

func wsDial(t *testing.T, url string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Subprotocols: []string{"chat", "superchat"}}
	c, resp, err := d.Dial(url, hdr)
	if c != nil {
		t.Cleanup(func() { c.Close() })
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	}
	return c, resp, err
}

func mustDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, resp, err := wsDial(t, url, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	return c
}

func echo(t *testing.T, c *websocket.Conn, mt int, msg []byte) {
	t.Helper()
	if err := c.WriteMessage(mt, msg); err != nil {
		t.Fatal(err)
	}
	gt, got, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if gt != mt || !bytes.Equal(got, msg) {
		t.Fatalf("echo: type %d len %d, want type %d len %d", gt, len(got), mt, len(msg))
	}
}

// closeCode reads until the connection closes and returns the close code.
func closeCode(t *testing.T, c *websocket.Conn) (int, string) {
	t.Helper()
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("want a close frame, got %v", err)
		}
		return ce.Code, ce.Text
	}
}

// waitStats polls the counters until ok accepts them (no timing assertion).
func waitStats(t *testing.T, gw *Gateway, ok func([]wsrelay.Stats) bool) {
	t.Helper()
	for i := 0; ; i++ {
		st := gw.WebSocketStats()
		if ok(st) {
			return
		}
		if i == 1000 {
			t.Fatalf("stats %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func noLeaks(t *testing.T) {
	opts := []goleak.Option{goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1")}
	t.Cleanup(func() { goleak.VerifyNone(t, opts...) })
}

func TestWebSocketEcho(t *testing.T) {
	noLeaks(t)
	b := startWSBackend(t)
	h := startGateway(t, configYAML(b.url, "  paths:\n    - pattern: /ws/*\n"))
	c, resp, err := wsDial(t, wsURL(h, "/ws/echo"), http.Header{"X-Test": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Subprotocol() != "superchat" || resp.Header.Get("Sec-WebSocket-Protocol") != "superchat" {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	echo(t, c, websocket.TextMessage, []byte("hello"))
	echo(t, c, websocket.TextMessage, nil)
	echo(t, c, websocket.BinaryMessage, []byte{0, 1, 2, 255})
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320 KB: 64-bit length, pooled buffer
	echo(t, c, websocket.BinaryMessage, big)
	echo(t, c, websocket.TextMessage, bytes.Repeat([]byte("x"), 300)) // 16-bit length

	// Headers pass through, X-Forwarded-For added.
	if err := c.WriteMessage(websocket.TextMessage, []byte("headers")); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(); err != nil || string(got) != "xff=127.0.0.1 test=yes" {
		t.Fatalf("headers: %q %v", got, err)
	}

	// Ping from the client: the backend's pong comes back through.
	pong := make(chan string, 1)
	c.SetPongHandler(func(s string) error { pong <- s; return nil })
	if err := c.WriteControl(websocket.PingMessage, []byte("p1"), time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	echo(t, c, websocket.TextMessage, []byte("after ping"))
	if got := <-pong; got != "p1" {
		t.Fatalf("pong %q", got)
	}

	waitStats(t, h.gw, func(st []wsrelay.Stats) bool { // counted just after each write
		return len(st) == 1 && st[0].Route == "/ws/*" && st[0].Open == 1 && st[0].MessagesIn == 7 && st[0].MessagesOut == 7 &&
			st[0].BytesIn > uint64(len(big)) && st[0].BytesOut > uint64(len(big))
	})
	c.Close()
}

func TestWebSocketFragmented(t *testing.T) {
	_, h := wsGateway(t, "")
	d := websocket.Dialer{WriteBufferSize: 256}
	c, _, err := d.Dial(wsURL(h, "/frag"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("fragment "), 500) // 4500 bytes in 256-byte frames
	w, err := c.NextWriter(websocket.TextMessage)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(msg); i += 100 {
		if _, err := w.Write(msg[i:min(i+100, len(msg))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.ReadMessage()
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("fragmented echo: %d bytes, %v", len(got), err)
	}
}

// TestWebSocketSplitFrames writes frames one byte per write, so headers
// and payloads reach the relay split across reads.
func TestWebSocketSplitFrames(t *testing.T) {
	_, h := wsGateway(t, "")
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	fmt.Fprintf(conn, "GET /raw HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", key)
	head := make([]byte, 0, 512)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		var one [1]byte
		if _, err := conn.Read(one[:]); err != nil {
			t.Fatal(err)
		}
		head = append(head, one[0])
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 101")) || !bytes.Contains(head, []byte("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")) {
		t.Fatalf("handshake: %q", head)
	}
	payload := bytes.Repeat([]byte("z"), 200)
	frame := maskedFrame(0x81, payload)
	for _, x := range frame {
		if _, err := conn.Write([]byte{x}); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, 4+len(payload))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatal(err)
	}
	if got[0] != 0x81 || got[1] != 126 || !bytes.Equal(got[4:], payload) {
		t.Fatalf("echo frame %x", got[:4])
	}
	// An unmasked client frame is a protocol error: 1002.
	if _, err := conn.Write([]byte{0x81, 0x01, 'x'}); err != nil {
		t.Fatal(err)
	}
	f := make([]byte, 4)
	if _, err := io.ReadFull(conn, f); err != nil || f[0] != 0x88 || int(f[2])<<8|int(f[3]) != 1002 {
		t.Fatalf("protocol error close: %x %v", f, err)
	}
}

func maskedFrame(b0 byte, payload []byte) []byte {
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	default:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	}
	m := []byte{1, 2, 3, 4}
	f = append(f, m...)
	for i, x := range payload {
		f = append(f, x^m[i&3])
	}
	return f
}

func TestWebSocketCloseCodes(t *testing.T) {
	b, h := wsGateway(t, "")

	// Client → backend.
	c := mustDial(t, wsURL(h, "/a"))
	echo(t, c, websocket.TextMessage, []byte("x"))
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "bye"), time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if ce := <-b.closes; ce.Code != 4001 || ce.Text != "bye" {
		t.Fatalf("backend saw %v", ce)
	}
	if code, _ := closeCode(t, c); code != 4001 { // the backend's echoed close
		t.Fatalf("client saw %d", code)
	}

	// Backend → client.
	c = mustDial(t, wsURL(h, "/b"))
	if err := c.WriteMessage(websocket.TextMessage, []byte("close:4002:later")); err != nil {
		t.Fatal(err)
	}
	if code, text := closeCode(t, c); code != 4002 || text != "later" {
		t.Fatalf("client saw %d %q", code, text)
	}
	if ce := <-b.closes; ce.Code != 4002 { // the client's reply reached the backend
		t.Fatalf("backend saw reply %v", ce)
	}
}

func TestWebSocketOrigin(t *testing.T) {
	_, h := wsGateway(t, `websocket: {allowed_origins: ["https://app.example.com", "https://*.example.org"]}`)
	for origin, want := range map[string]int{
		"https://app.example.com": 101, "HTTPS://APP.example.com": 101, "https://a.b.example.org": 101,
		"https://evil.example": 403, "http://app.example.com": 403, "https://example.org": 403, "": 403,
		"null": 403, "https://app.example.com.evil.example": 403, // scenario 56: opaque and look-alike origins
	} {
		hdr := http.Header{}
		if origin != "" {
			hdr.Set("Origin", origin)
		}
		c, resp, _ := wsDial(t, wsURL(h, "/ws"), hdr)
		if resp == nil || resp.StatusCode != want {
			t.Fatalf("origin %q: %v, want %d", origin, resp, want)
		}
		if c != nil {
			c.Close()
		}
	}
}

func TestWebSocketMaxMessage(t *testing.T) {
	b, h := wsGateway(t, `websocket: {max_message_bytes: 1000}`)
	c := mustDial(t, wsURL(h, "/ws"))
	echo(t, c, websocket.BinaryMessage, make([]byte, 1000))
	if err := c.WriteMessage(websocket.BinaryMessage, make([]byte, 1001)); err != nil {
		t.Fatal(err)
	}
	if code, _ := closeCode(t, c); code != 1009 {
		t.Fatalf("client close %d, want 1009", code)
	}
	if ce := <-b.closes; ce.Code != 1009 {
		t.Fatalf("backend close %v", ce)
	}
}

func TestWebSocketIdleTimeout(t *testing.T) {
	b, h := wsGateway(t, `websocket: {idle_timeout: 0.2}`)
	c := mustDial(t, wsURL(h, "/ws"))
	echo(t, c, websocket.TextMessage, []byte("x"))
	if code, text := closeCode(t, c); code != 1001 || text != "idle timeout" {
		t.Fatalf("close %d %q", code, text)
	}
	if ce := <-b.closes; ce.Code != 1001 {
		t.Fatalf("backend close %v", ce)
	}
}

func TestWebSocketBackendDeath(t *testing.T) {
	_, h := wsGateway(t, "")
	c := mustDial(t, wsURL(h, "/ws"))
	if err := c.WriteMessage(websocket.TextMessage, []byte("die")); err != nil {
		t.Fatal(err)
	}
	if code, _ := closeCode(t, c); code != 1011 {
		t.Fatalf("close %d, want 1011", code)
	}
}

func TestWebSocketCloseForShutdown(t *testing.T) {
	b, h := wsGateway(t, "")
	c := mustDial(t, wsURL(h, "/ws"))
	echo(t, c, websocket.TextMessage, []byte("x"))
	done := make(chan struct{})
	go func() { h.gw.closeWebSockets(10 * time.Second); close(done) }()
	if code, _ := closeCode(t, c); code != 1001 { // gorilla replies to the close
		t.Fatalf("close %d, want 1001", code)
	}
	if ce := <-b.closes; ce.Code != 1001 {
		t.Fatalf("backend close %v", ce)
	}
	<-done
	if _, resp, err := wsDial(t, wsURL(h, "/ws"), nil); err == nil || resp.StatusCode != 503 {
		t.Fatalf("upgrade after closeWebSockets: %v %v", resp, err)
	}
}

func TestWebSocketReloadRemovesRule(t *testing.T) {
	noLeaks(t)
	b := startWSBackend(t)
	yaml := func(rules ...string) string {
		s := "  paths:\n"
		for _, r := range rules {
			s += "    - pattern: " + r + "\n"
		}
		return configYAML(b.url, s)
	}
	h := startGateway(t, yaml("/a", "/b"))
	ca, cb := mustDial(t, wsURL(h, "/a")), mustDial(t, wsURL(h, "/b"))
	echo(t, ca, websocket.TextMessage, []byte("a"))
	l, err := config.Parse("test.yaml", []byte(yaml("/b")))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.gw.Reload(l); err != nil {
		t.Fatal(err)
	}
	if code, text := closeCode(t, ca); code != 1001 || text != "route removed" {
		t.Fatalf("removed rule: close %d %q", code, text)
	}
	echo(t, cb, websocket.TextMessage, []byte("still here"))
}

func TestWebSocketMaxConnections(t *testing.T) {
	_, h := wsGateway(t, `websocket: {max_connections: 1}`)
	c := mustDial(t, wsURL(h, "/ws"))
	if _, resp, err := wsDial(t, wsURL(h, "/ws"), nil); err == nil || resp.StatusCode != 503 {
		t.Fatalf("second connection: %v %v", resp, err)
	}
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(5*time.Second))
	closeCode(t, c)
	for i := 0; ; i++ { // the slot frees once the relay has finished
		_, resp, err := wsDial(t, wsURL(h, "/ws"), nil)
		if err == nil {
			break
		}
		if i == 200 || resp == nil || resp.StatusCode != 503 {
			t.Fatalf("after close: %v %v", resp, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitStats(t, h.gw, func(st []wsrelay.Stats) bool { // registered just after the client saw its 101
		return st[0].Refused >= 1 && st[0].Accepted == 2
	})
}

func TestWebSocketRateLimit(t *testing.T) {
	_, h := wsGateway(t, `rate_limit: {quota: 1, duration: 86400}`)
	c := mustDial(t, wsURL(h, "/ws"))
	echo(t, c, websocket.TextMessage, []byte("messages are not counted"))
	echo(t, c, websocket.TextMessage, []byte("only handshakes"))
	if _, resp, err := wsDial(t, wsURL(h, "/ws"), nil); err == nil || resp.StatusCode != 429 {
		t.Fatalf("second handshake: %v %v", resp, err)
	}
}

func TestWebSocketBackendDownOrRefusing(t *testing.T) {
	noLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	h := startGateway(t, configYAML(down, ""))
	if _, resp, err := wsDial(t, wsURL(h, "/ws"), nil); err == nil || resp.StatusCode != 502 {
		t.Fatalf("backend down: %v %v", resp, err)
	}
	// A backend that is not a WebSocket server: its answer is relayed.
	plain := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(404)
		ctx.SetBodyString("nope")
	})
	h = startGateway(t, configYAML(plain, ""))
	if _, resp, err := wsDial(t, wsURL(h, "/ws"), nil); err == nil || resp.StatusCode != 404 {
		t.Fatalf("refusing backend: %v %v", resp, err)
	}
	// A backend answering 101 with a wrong accept: 502.
	liar := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.Hijack(func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bogus\r\n\r\n")
		})
		ctx.HijackSetNoResponse(true)
	})
	h = startGateway(t, configYAML(liar, ""))
	if _, resp, err := wsDial(t, wsURL(h, "/ws"), nil); err == nil || resp.StatusCode != 502 {
		t.Fatalf("bad accept: %v %v", resp, err)
	}
}

func TestWebSocketLogThreshold(t *testing.T) {
	_, h := wsGateway(t, `monitoring: {log_threshold: 0.000001}`)
	c := mustDial(t, wsURL(h, "/ws"))
	echo(t, c, websocket.TextMessage, []byte("hello"))
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(5*time.Second))
	closeCode(t, c)
	for i := 0; !strings.Contains(h.logs.String(), "websocket connection"); i++ {
		if i == 500 {
			t.Fatalf("no connection log:\n%s", h.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{"route=/ws", "messages_in=1", "messages_out=1", "bytes_in=", "bytes_out=", "duration="} {
		if !strings.Contains(h.logs.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, h.logs.String())
		}
	}
}

func TestWebSocketConfig(t *testing.T) {
	_, err := config.Parse("t.yaml", []byte(configYAML("http://127.0.0.1:1", `  paths:
    - pattern: /ws
      features:
        websocket: {idle_timeout: 0, max_message_bytes: -1, max_connections: -2, allowed_origins: ["nope", "https://a.example/path"]}
`)))
	if err == nil {
		t.Fatal("invalid websocket config accepted")
	}
	for _, want := range []string{"idle_timeout: must be positive", "max_message_bytes: must be positive",
		"max_connections: must not be negative", `allowed_origins: "nope"`, `allowed_origins: "https://a.example/path"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	l, err := config.Parse("t.yaml", []byte(configYAML("http://127.0.0.1:1", `  paths:
    - pattern: /ws
      features:
        websocket: {}
`)))
	if err != nil {
		t.Fatal(err)
	}
	if w := l.Config.Paths[0].Features.WebSocket; w.MaxMessageBytes != 1<<20 || w.IdleTimeout != 300 || w.MaxConnections != 0 {
		t.Fatalf("defaults %+v", w)
	}
}
