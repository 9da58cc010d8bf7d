package proxy

// WebSocket abuse (reliability catalogue, section H: scenarios 56–62).

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/wsrelay"
)

const wsTestKey = "dGhlIHNhbXBsZSBub25jZQ=="

// wsRawDial upgrades a raw connection through the gateway and returns it
// with a reader positioned after the 101.
func wsRawDial(t *testing.T, h *gwHarness, path string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := dialT(t, h.addr)
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, wsTestKey)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return c, br
}

// wsFrameHead builds a masked client frame header (mask 0: payload as is).
func wsFrameHead(b0 byte, n uint64) []byte {
	f := []byte{b0}
	switch {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, n)
	}
	return append(f, 0, 0, 0, 0)
}

// readFrame reads one unmasked server frame.
func readFrame(br *bufio.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, err = io.ReadFull(br, l[:])
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		_, err = io.ReadFull(br, l[:])
		n = binary.BigEndian.Uint64(l[:])
	}
	if err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(br, payload)
	return h[0] & 0x0f, payload, err
}

// readClose skips data frames and returns the close code.
func readClose(t *testing.T, br *bufio.Reader) int {
	t.Helper()
	for {
		op, p, err := readFrame(br)
		if err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		if op == 8 {
			if len(p) < 2 {
				return 1005
			}
			return int(binary.BigEndian.Uint16(p))
		}
	}
}

// Scenario 57a: a backend that declines an upgrade (426) and keeps its
// connection open gets no tunnel: requests pipelined behind the upgrade
// are parsed and policy-checked by the gateway, never sent raw.
func TestHardeningWebSocketNon101NoTunnel(t *testing.T) {
	var upgradeConnReqs atomic.Int32
	b := startScripted(t, func(c net.Conn, r backendReq) bool {
		if r.path == "/ws" {
			_, _ = io.WriteString(c, "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
			return true
		}
		if !r.first {
			upgradeConnReqs.Add(1)
		}
		_, _ = io.WriteString(c, okResponse)
		return true
	})
	h := startGateway(t, configYAML(b.url, "  dashboard: {token: s3cret}\n"))
	c := dialT(t, h.addr)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 1337\r\nSec-WebSocket-Key: %s\r\n\r\n"+
		"GET /__premier/api/config HTTP/1.1\r\nHost: gw\r\n\r\n"+
		"GET /internal HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n", wsTestKey)
	br := bufio.NewReader(c)
	for _, want := range []int{426, 404, 200} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("want %d: %v %v", want, resp, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	for _, r := range b.requests() {
		if strings.Contains(r.path, "premier") {
			t.Fatalf("the reserved prefix reached the backend: %+v", b.requests())
		}
	}
	if paths := b.requests(); len(paths) != 2 || paths[1].path != "/internal" {
		t.Fatalf("backend saw %+v", paths)
	}
}

// Scenario 57b: Upgrade: h2c is not a WebSocket upgrade: the gateway
// strips it (and HTTP2-Settings) and forwards a plain request.
func TestHardeningH2CUpgradeStripped(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, echoBackend), ""))
	out := rawRequest(t, h.addr, "GET /x HTTP/1.1\r\nHost: gw\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"+
		"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 200") {
		t.Fatalf("h2c request: %.200q", out)
	}
	if strings.Contains(out, "Upgrade") || strings.Contains(out, "Http2-Settings") || strings.Contains(out, "HTTP2-Settings") {
		t.Fatalf("h2c headers reached the backend: %s", out)
	}
}

// Scenario 58: frame abuse — absurd declared lengths, continuation and
// ping floods, oversized control frames, bad UTF-8 — costs a fixed
// buffer and ends with the right close code.
func TestHardeningWebSocketFrameAbuse(t *testing.T) {
	_, h := wsGateway(t, `websocket: {max_message_bytes: 1048576}`)
	// A 2⁶³−1 payload is a protocol error; 2 MiB is over the limit.
	for _, tc := range []struct {
		n    uint64
		code int
	}{{1<<63 - 1, 1002}, {2 << 20, 1009}} {
		c, br := wsRawDial(t, h, "/ws")
		_, _ = c.Write(wsFrameHead(0x82, tc.n))
		if code := readClose(t, br); code != tc.code {
			t.Fatalf("declared %d bytes: close %d, want %d", tc.n, code, tc.code)
		}
		c.Close()
	}
	// A 200-byte close reason: control frames carry at most 125 bytes.
	c, br := wsRawDial(t, h, "/ws")
	_, _ = c.Write(append(wsFrameHead(0x88, 202), append([]byte{3, 232}, bytes.Repeat([]byte("r"), 200)...)...))
	if code := readClose(t, br); code != 1002 {
		t.Fatalf("oversized close frame: %d", code)
	}
	c.Close()

	growth := heapPeak(func() {
		// 100 000 one-byte continuation frames: one 100 001-byte message.
		c, br := wsRawDial(t, h, "/ws")
		w := bufio.NewWriter(c)
		_, _ = w.Write(append(wsFrameHead(0x01, 1), 'a'))
		for i := 0; i < 100000; i++ {
			_, _ = w.Write(append(wsFrameHead(0x00, 1), 'b'))
		}
		_, _ = w.Write(wsFrameHead(0x80, 0))
		// A ping flood: every ping is relayed, every pong comes back.
		for i := 0; i < 2000; i++ {
			_, _ = w.Write(append(wsFrameHead(0x89, 1), 'p'))
		}
		_ = w.Flush()
		var msgs, pongs int
		for msgs < 1 || pongs < 2000 {
			op, p, err := readFrame(br)
			if err != nil {
				t.Fatalf("after %d messages, %d pongs: %v", msgs, pongs, err)
			}
			switch op {
			case 1:
				if len(p) != 100001 {
					t.Fatalf("continuation message: %d bytes", len(p))
				}
				msgs++
			case 10:
				pongs++
			}
		}
		// Invalid UTF-8 is the endpoints' business (RFC 6455 §8.1: they
		// fail with 1007): the relay passes it untouched.
		_, _ = c.Write(append(wsFrameHead(0x81, 2), 0xff, 0xfe))
		if op, p, err := readFrame(br); err != nil || op != 1 || !bytes.Equal(p, []byte{0xff, 0xfe}) {
			t.Fatalf("invalid UTF-8 relayed as %d %x %v", op, p, err)
		}
		c.Close()
	})
	if growth > 8<<20 {
		t.Fatalf("heap grew %d MiB relaying floods", growth>>20)
	}
}

// rawWSBackend completes WebSocket handshakes and then runs serve on the
// connection.
func rawWSBackend(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) string {
	return rawBackend(t, func(c net.Conn, br *bufio.Reader, _ int) {
		key := ""
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Sec-WebSocket-Key") {
				key = strings.TrimSpace(v)
			}
			if line == "\r\n" {
				break
			}
		}
		fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", wsAccept([]byte(key)))
		serve(c, br)
	})
}

// Scenario 59: when one side stops reading, the relay stops too: TCP
// backpressure reaches the sender and the gateway holds no queue.
func TestHardeningWebSocketBackpressure(t *testing.T) {
	noLeaks(t)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	stuck := rawWSBackend(t, func(c net.Conn, _ *bufio.Reader) { <-done }) // never reads
	flood := rawWSBackend(t, func(c net.Conn, _ *bufio.Reader) {           // writes until blocked
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		frame := append([]byte{0x82, 127}, binary.BigEndian.AppendUint64(nil, 64<<10)...)
		frame = append(frame, make([]byte, 64<<10)...)
		for {
			if _, err := c.Write(frame); err != nil {
				return
			}
		}
	})
	for _, tc := range []struct {
		name, backend string
		clientWrites  bool
	}{{"client floods", stuck, true}, {"backend floods", flood, false}} {
		h := startGateway(t, configYAML(tc.backend, ""))
		var sent int64
		growth := heapPeak(func() {
			c, _ := wsRawDial(t, h, "/ws")
			if tc.clientWrites {
				_ = c.SetWriteDeadline(time.Now().Add(time.Second))
				frame := append(wsFrameHead(0x82, 64<<10), make([]byte, 64<<10)...)
				for sent < 1<<30 {
					n, err := c.Write(frame)
					sent += int64(n)
					if err != nil {
						break
					}
				}
			} else {
				time.Sleep(1200 * time.Millisecond) // read nothing
			}
			c.Close()
		})
		if sent >= 1<<30 {
			t.Fatalf("%s: 1 GiB went through to a backend that reads nothing", tc.name)
		}
		if growth > 8<<20 {
			t.Fatalf("%s: heap grew %d MiB", tc.name, growth>>20)
		}
	}
}

// Scenario 60: open WebSockets are capped by limits.max_connections on
// their own (503 beyond), apart from HTTP connections.
func TestHardeningWebSocketGlobalCap(t *testing.T) {
	// No per-test leak check: the plain requests start the backend
	// client's idle-connection cleaner (TestMain's check allows it).
	b := startWSBackend(t)
	h := startGateway(t, configYAML(b.url, "  limits: {max_connections: 3}\n"))
	var open []*websocket.Conn
	for i := 0; i < 3; i++ {
		open = append(open, mustDial(t, wsURL(h, "/ws")))
	}
	if _, resp, err := wsDial(t, wsURL(h, "/ws"), nil); err == nil || resp == nil || resp.StatusCode != 503 {
		t.Fatalf("WebSocket over the cap: %v %v", resp, err)
	}
	// The relays do not hold HTTP's slots.
	for i := 0; i < 3; i++ {
		if resp, _ := do(t, "GET", h.url+"/plain", nil, nil); resp.StatusCode != 404 {
			t.Fatalf("HTTP beside capped WebSockets: %d", resp.StatusCode)
		}
	}
	for _, c := range open {
		echo(t, c, websocket.TextMessage, []byte("still open"))
		c.Close()
	}
}

// Scenario 61: a backend that resets an open WebSocket: the client gets
// 1011 at once and both relay goroutines end (noLeaks).
func TestHardeningWebSocketBackendReset(t *testing.T) {
	noLeaks(t)
	backend := rawWSBackend(t, func(c net.Conn, _ *bufio.Reader) {
		time.Sleep(50 * time.Millisecond)
		reset(c)
	})
	h := startGateway(t, configYAML(backend, ""))
	c, br := wsRawDial(t, h, "/ws")
	began := time.Now()
	if code := readClose(t, br); code != 1011 {
		t.Fatalf("close %d, want 1011", code)
	}
	if d := time.Since(began); d > time.Second {
		t.Fatalf("close took %v", d)
	}
	c.Close()
}

// taggedWSBackend echoes every message prefixed with its tag.
func taggedWSBackend(t *testing.T, tag string) string {
	up := websocket.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true }}
	return startBackend(t, func(ctx *fasthttp.RequestCtx) {
		_ = up.Upgrade(ctx, func(c *websocket.Conn) {
			defer c.Close()
			for {
				mt, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				if c.WriteMessage(mt, append([]byte(tag+":"), msg...)) != nil {
					return
				}
			}
		})
	})
}

func echoTag(t *testing.T, c *websocket.Conn, msg string) string {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}

// Scenario 62: a reload that changes a WebSocket route's backend leaves
// open connections on the old backend and sends new upgrades to the new
// one; removing the route closes them with 1001.
func TestHardeningWebSocketReloadChangesBackend(t *testing.T) {
	noLeaks(t)
	a, b := taggedWSBackend(t, "A"), taggedWSBackend(t, "B")
	rule := "  paths:\n    - pattern: /ws\n"
	h := startGateway(t, configYAML(a, rule))
	old := mustDial(t, wsURL(h, "/ws"))
	if got := echoTag(t, old, "1"); got != "A:1" {
		t.Fatalf("before reload: %q", got)
	}
	reload := func(src string) {
		l, err := config.Parse("test.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.gw.Reload(l); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ { // back and forth, ending on B
		if i%2 == 0 {
			reload(configYAML(b, rule))
		} else {
			reload(configYAML(a, rule))
		}
	}
	reload(configYAML(b, rule))
	if got := echoTag(t, old, "2"); got != "A:2" {
		t.Fatalf("open connection after reloads: %q", got)
	}
	fresh := mustDial(t, wsURL(h, "/ws"))
	if got := echoTag(t, fresh, "3"); got != "B:3" {
		t.Fatalf("new upgrade after reload: %q", got)
	}
	reload(configYAML(b, "  paths:\n    - pattern: /other\n"))
	for _, c := range []*websocket.Conn{old, fresh} {
		if code, text := closeCode(t, c); code != 1001 || text != "route removed" {
			t.Fatalf("route removed: %d %q", code, text)
		}
	}
	waitStats(t, h.gw, func(st []wsrelay.Stats) bool {
		for _, s := range st {
			if s.Open != 0 {
				return false
			}
		}
		return true
	})

}
