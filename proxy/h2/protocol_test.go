package h2

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The HTTP/2 rules the server keeps itself (it runs the connection on
// the library's framer and HPACK, not on its server): flow control both
// ways, the stream limit, the header list limit, GOAWAY on shutdown and
// when idle, protocol errors, a panicking handler.

// next reads frames until one satisfies want, within 10 s.
func (r *rawClient) next(t *testing.T, want func(http2.Frame) bool) http2.Frame {
	t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		if want(f) {
			return f
		}
	}
}

func (r *rawClient) get(t *testing.T, id uint32, path string) {
	t.Helper()
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: r.block(path), EndStream: true, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
}

// An answer never passes the client's flow-control windows: with a
// stream window of 10 bytes, a 100-byte body comes 10 bytes at a time,
// each after the client opened the window again.
func TestProtocolSendFlowControl(t *testing.T) {
	body := strings.Repeat("0123456789", 10)
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString(body) }, Options{})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	if err := r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10}); err != nil {
		t.Fatal(err)
	}
	r.get(t, 1, "/")
	var got []byte
	for len(got) < len(body) {
		f := r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.DataFrame); return ok }).(*http2.DataFrame)
		if len(f.Data()) > 10 {
			t.Fatalf("a DATA frame of %d bytes passed the 10-byte window", len(f.Data()))
		}
		got = append(got, f.Data()...)
		if f.StreamEnded() {
			break
		}
		// Nothing more comes until the window opens.
		_ = r.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if f2, err := r.fr.ReadFrame(); err == nil {
			if d, ok := f2.(*http2.DataFrame); ok && len(d.Data()) > 0 {
				t.Fatalf("%d more bytes with the window closed", len(d.Data()))
			}
		}
		if err := r.fr.WriteWindowUpdate(1, uint32(len(f.Data()))); err != nil {
			t.Fatal(err)
		}
	}
	if string(got) != body {
		t.Fatalf("body %q", got)
	}
}

// A client that sends more request body than its window allows is cut
// off: the stream is reset with FLOW_CONTROL_ERROR before its handler
// ever sees the excess.
func TestProtocolRecvFlowControl(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { time.Sleep(time.Second); ctx.SetBodyString("ok") }, Options{})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.fields(":method", "POST", ":scheme", "https",
		":authority", "localhost", ":path", "/"), EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 16384)
	go func() {
		for range streamWindow/len(chunk) + 4 {
			if r.fr.WriteData(1, false, chunk) != nil {
				return
			}
		}
	}()
	f := r.next(t, func(f http2.Frame) bool {
		_, rst := f.(*http2.RSTStreamFrame)
		_, ga := f.(*http2.GoAwayFrame)
		return rst || ga
	})
	if rst, ok := f.(*http2.RSTStreamFrame); !ok || rst.ErrCode != http2.ErrCodeFlowControl {
		t.Fatalf("got %v, want RST_STREAM FLOW_CONTROL_ERROR", f)
	}
}

// Streams past MaxConcurrentStreams are refused (REFUSED_STREAM, which
// a client may retry); those within it are answered.
func TestProtocolStreamLimit(t *testing.T) {
	release := make(chan struct{})
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		<-release
		ctx.SetBodyString("ok")
	}, Options{MaxConcurrentStreams: 2})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	for _, id := range []uint32{1, 3, 5} {
		r.get(t, id, "/")
	}
	f := r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok }).(*http2.RSTStreamFrame)
	if f.StreamID != 5 || f.ErrCode != http2.ErrCodeRefusedStream {
		t.Fatalf("RST_STREAM %d %v, want 5 REFUSED_STREAM", f.StreamID, f.ErrCode)
	}
	close(release)
	ended := map[uint32]bool{}
	for len(ended) < 2 {
		f := r.next(t, func(f http2.Frame) bool { d, ok := f.(*http2.DataFrame); return ok && d.StreamEnded() })
		ended[f.Header().StreamID] = true
	}
	if !ended[1] || !ended[3] {
		t.Fatalf("answered %v, want 1 and 3", ended)
	}
}

// A header list over MaxHeaderBytes is answered 431 without the handler.
func TestProtocolHeaderListLimit(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { t.Error("the handler ran"); ctx.SetBodyString("ok") },
		Options{MaxHeaderBytes: 1024})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	r.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	kv := []string{":method", "GET", ":scheme", "https", ":authority", "localhost", ":path", "/"}
	for i := range 40 {
		kv = append(kv, "x-field-"+strconv.Itoa(i), strings.Repeat("v", 40))
	}
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.fields(kv...), EndStream: true, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	f := r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.MetaHeadersFrame); return ok }).(*http2.MetaHeadersFrame)
	if s := f.PseudoValue("status"); s != "431" {
		t.Fatalf("status %q, want 431", s)
	}
}

// Shutdown sends GOAWAY NO_ERROR naming the last stream, lets the stream
// in flight finish, then closes the connection.
func TestProtocolShutdownGoAway(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		close(started)
		<-release
		ctx.SetBodyString("done")
	}, Options{})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	r.get(t, 1, "/")
	<-started
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- ts.srv.Shutdown(ctx)
	}()
	ga := r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok }).(*http2.GoAwayFrame)
	if ga.ErrCode != http2.ErrCodeNo || ga.LastStreamID != 1 {
		t.Fatalf("GOAWAY %v last %d, want NO_ERROR last 1", ga.ErrCode, ga.LastStreamID)
	}
	close(release)
	d := r.next(t, func(f http2.Frame) bool { d, ok := f.(*http2.DataFrame); return ok && d.StreamEnded() }).(*http2.DataFrame)
	if string(d.Data()) != "done" {
		t.Fatalf("body %q", d.Data())
	}
	if _, _, closed := r.goAway(5 * time.Second); !closed {
		t.Fatal("the connection stayed open after its last stream")
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// A connection without open streams for IdleTimeout gets GOAWAY and is
// closed.
func TestProtocolIdleTimeout(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }, Options{IdleTimeout: 300 * time.Millisecond})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	r.get(t, 1, "/")
	start := time.Now()
	code, sawGoAway, closed := r.goAway(5 * time.Second)
	if !sawGoAway || code != http2.ErrCodeNo || !closed {
		t.Fatalf("GOAWAY %v (%v), closed %v", sawGoAway, code, closed)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("closed after %v, before the idle timeout", d)
	}
}

// Protocol errors end the connection with GOAWAY PROTOCOL_ERROR: a
// client stream with an even number, streams going down.
func TestProtocolErrors(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }, Options{})
	for name, ids := range map[string][]uint32{"even stream": {2}, "stream going down": {5, 3}} {
		t.Run(name, func(t *testing.T) {
			r := dialRaw(t, ts.addr, ts.pool)
			defer r.c.Close()
			for _, id := range ids {
				r.get(t, id, "/")
			}
			code, sawGoAway, closed := r.goAway(5 * time.Second)
			if !sawGoAway || code != http2.ErrCodeProtocol || !closed {
				t.Fatalf("GOAWAY %v (%v), closed %v", sawGoAway, code, closed)
			}
		})
	}
}

// A handler that panics has its stream reset (INTERNAL_ERROR); the
// connection's other streams are answered and the process lives on.
func TestProtocolHandlerPanic(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/panic" {
			panic("boom")
		}
		ctx.SetBodyString("ok")
	}, Options{})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	r.get(t, 1, "/panic")
	rst := r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok }).(*http2.RSTStreamFrame)
	if rst.StreamID != 1 || rst.ErrCode != http2.ErrCodeInternal {
		t.Fatalf("RST_STREAM %d %v", rst.StreamID, rst.ErrCode)
	}
	r.get(t, 3, "/")
	d := r.next(t, func(f http2.Frame) bool { d, ok := f.(*http2.DataFrame); return ok && d.StreamEnded() }).(*http2.DataFrame)
	if d.StreamID != 3 || !bytes.Equal(d.Data(), []byte("ok")) {
		t.Fatalf("stream %d: %q", d.StreamID, d.Data())
	}
}

// A request body reaches the handler whole across many DATA frames and
// window updates, with its trailers dropped, and the client's PING is
// answered.
func TestProtocolRequestBodyAndPing(t *testing.T) {
	const size = 1 << 20
	got := make(chan int, 1)
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		n := 0
		buf := make([]byte, 4096)
		for {
			k, err := ctx.RequestBodyStream().Read(buf)
			n += k
			if err != nil {
				break
			}
		}
		got <- n
		ctx.SetBodyString("ok")
	}, Options{})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.fields(":method", "POST", ":scheme", "https",
		":authority", "localhost", ":path", "/"), EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	trailers := r.fields("x-checksum", "abc")
	// The client keeps within the windows: the stream's 256 KiB and the
	// connection's, sending more only as the server gives them back.
	sendWin := map[uint32]int{0: 65535, 1: streamWindow}
	sent := 0
	chunk := make([]byte, 16384)
	for sent < size {
		for min(sendWin[0], sendWin[1]) < len(chunk) {
			switch f := r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.WindowUpdateFrame); return ok }).(type) {
			case *http2.WindowUpdateFrame:
				sendWin[f.StreamID] += int(f.Increment)
			}
		}
		if err := r.fr.WriteData(1, false, chunk); err != nil {
			t.Fatal(err)
		}
		sendWin[0] -= len(chunk)
		sendWin[1] -= len(chunk)
		sent += len(chunk)
	}
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: trailers, EndStream: true, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != size {
		t.Fatalf("handler read %d bytes, want %d", n, size)
	}
	if err := r.fr.WritePing(false, [8]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	p := r.next(t, func(f http2.Frame) bool { p, ok := f.(*http2.PingFrame); return ok && p.IsAck() }).(*http2.PingFrame)
	if p.Data != [8]byte{1, 2, 3} {
		t.Fatalf("PING ack %v", p.Data)
	}
}

// A client that waits for 100 Continue before its body (Expect:
// 100-continue) gets it when the handler reads the body, then is
// answered.
func TestProtocolExpectContinue(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		b, err := io.ReadAll(ctx.RequestBodyStream())
		if err != nil {
			ctx.Error(err.Error(), 500)
			return
		}
		ctx.SetBody(b)
	}, Options{})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	r.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.fields(":method", "POST", ":scheme", "https",
		":authority", "localhost", ":path", "/", "expect", "100-continue", "content-length", "5"), EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	h := r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.MetaHeadersFrame); return ok }).(*http2.MetaHeadersFrame)
	if s := h.PseudoValue("status"); s != "100" || h.StreamEnded() {
		t.Fatalf("first answer %q (ended %v), want 100", s, h.StreamEnded())
	}
	if err := r.fr.WriteData(1, true, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	h = r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.MetaHeadersFrame); return ok }).(*http2.MetaHeadersFrame)
	if s := h.PseudoValue("status"); s != "200" {
		t.Fatalf("final answer %q, want 200", s)
	}
	d := r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.DataFrame); return ok }).(*http2.DataFrame)
	if string(d.Data()) != "hello" {
		t.Fatalf("body %q", d.Data())
	}
}

// A client that never opens its window again holds a stream at most
// WriteTimeout: the stream is reset (CANCEL) and the handler's body
// stream closed, and the connection's other streams go on.
func TestProtocolWriteTimeoutOnClosedWindow(t *testing.T) {
	closed := make(chan struct{})
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/big" {
			ctx.SetBodyStream(&closeSignal{Reader: io.LimitReader(zeros{}, 1<<20), closed: closed}, 1<<20)
			return
		}
		ctx.SetBodyString("ok")
	}, Options{WriteTimeout: 300 * time.Millisecond})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	r.get(t, 1, "/big")
	rst := r.next(t, func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok }).(*http2.RSTStreamFrame)
	if rst.StreamID != 1 || rst.ErrCode != http2.ErrCodeCancel {
		t.Fatalf("RST_STREAM %d %v, want 1 CANCEL", rst.StreamID, rst.ErrCode)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's body stream was not closed")
	}
	// The connection window is spent too: give it back, then ask again.
	if err := r.fr.WriteWindowUpdate(0, 1<<20); err != nil {
		t.Fatal(err)
	}
	r.get(t, 3, "/")
	d := r.next(t, func(f http2.Frame) bool { d, ok := f.(*http2.DataFrame); return ok && d.StreamID == 3 }).(*http2.DataFrame)
	if string(d.Data()) != "ok" {
		t.Fatalf("stream 3: %q", d.Data())
	}
}

type closeSignal struct {
	io.Reader
	closed chan struct{}
}

func (c *closeSignal) Close() error { close(c.closed); return nil }
