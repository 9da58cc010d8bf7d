package h2

import (
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// WebSocket over HTTP/2 (RFC 8441) is not offered: the server's SETTINGS
// leave out SETTINGS_ENABLE_CONNECT_PROTOCOL, so a client falls back to
// HTTP/1.1 for its WebSockets (browsers do). A CONNECT with :protocol
// anyway is a malformed request the library resets (PROTOCOL_ERROR), and
// an HTTP/1.1-style upgrade written in HTTP/2 (Connection, Upgrade) gets
// the library's 400, both before any handler runs: the handler's upgrade
// path, which hijacks, is never reached, and the connection's next
// stream is answered.
func TestWebSocketOverH2NotOffered(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		if len(ctx.Request.Header.Peek("Upgrade")) > 0 || ctx.IsConnect() {
			ctx.Hijack(func(net.Conn) {})
			t.Errorf("an upgrade reached the handler: %s %s", ctx.Method(), ctx.RequestURI())
		}
		ctx.SetBodyString("ok")
	}, Options{})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	_ = r.c.SetReadDeadline(time.Now().Add(10 * time.Second))

	requests := []struct {
		id    uint32
		block []byte
	}{
		{1, r.fields(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "localhost", ":path", "/ws",
			"sec-websocket-version", "13")},
		{3, r.fields(":method", "GET", ":scheme", "https", ":authority", "localhost", ":path", "/ws",
			"connection", "upgrade", "upgrade", "websocket", "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version", "13")},
		{5, r.block("/after")},
	}
	for _, req := range requests {
		if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: req.id, BlockFragment: req.block, EndStream: true, EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
	}
	r.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	reset := map[uint32]http2.ErrCode{}
	status := map[uint32]string{}
	for len(reset) < 1 || len(status) < 2 {
		f, err := r.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading: %v (resets %v, answers %v)", err, reset, status)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if v, ok := f.Value(http2.SettingEnableConnectProtocol); ok && v != 0 {
				t.Fatal("the server offers extended CONNECT")
			}
		case *http2.RSTStreamFrame:
			reset[f.StreamID] = f.ErrCode
		case *http2.MetaHeadersFrame:
			status[f.StreamID] = f.PseudoValue("status")
		}
	}
	if reset[1] != http2.ErrCodeProtocol || status[3] != "400" || status[5] != "200" {
		t.Fatalf("resets %v, answers %v: want PROTOCOL_ERROR on stream 1, 400 on 3, 200 on 5", reset, status)
	}
}
