package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/nettest"
)

// connPair returns the gateway side of a real loopback TCP connection,
// wrapped as g's listener wraps what it accepts, and the client side.
func connPair(t *testing.T, g *Gateway) (net.Conn, net.Conn) {
	t.Helper()
	client, server := nettest.Pair(t)
	s := newClientConn(g.watch.Wrap(server))
	t.Cleanup(func() { s.Close() })
	return s, client
}

func newWatchedGateway(t *testing.T) *Gateway {
	t.Helper()
	return startGateway(t, configYAML("http://127.0.0.1:1", "")).gw
}

// answer marks the next write of s as a finished response and writes it.
func answer(t testing.TB, s net.Conn, msg string) {
	t.Helper()
	s.(*clientConn).hold.Store(true)
	if _, err := io.WriteString(s, msg); err != nil {
		t.Fatal(err)
	}
}

func readN(t testing.TB, c net.Conn, n int) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return string(b)
}

func TestListenerAcceptsWatchedClientConns(t *testing.T) {
	g := newWatchedGateway(t)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	client, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s, err := g.Listener(raw).Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cc, ok := s.(*clientConn)
	if !ok {
		t.Fatalf("accepted %T, want *clientConn", s)
	}
	if g.watch.Len() < 1 || cc.Watchdog() != g.watch {
		t.Fatal("accepted connection not watched by the gateway's watchdog")
	}
	_ = s.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := s.Read(make([]byte, 1)); err == nil || !isTimeout(err) {
		t.Fatalf("read past its deadline: %v", err)
	}
}

// A held response reaches the client when the next Read waits, and the
// request that answer prompts is read.
func TestHeldResponseGoesOutWithTheNextRead(t *testing.T) {
	s, c := connPair(t, newWatchedGateway(t))
	for i := 0; i < 50; i++ {
		answer(t, s, "pong")
		if s.(*clientConn).held.Load() == nil {
			t.Fatal("a marked response was written at once, not held")
		}
		go func() {
			if readN(t, c, 4) == "pong" {
				_, _ = io.WriteString(c, "ping")
			}
		}()
		if got := readN(t, s, 4); got != "ping" {
			t.Fatalf("round %d: server read %q", i, got)
		}
	}
}

// Bytes the client sent before the wait began (it sent ahead) raise no
// readiness; the watchdog's stall check wakes the wait within a few ticks,
// and the connection holds nothing from then on.
func TestStallCheckWakesAWaitOnBytesAlreadyThere(t *testing.T) {
	g := newWatchedGateway(t)
	s, c := connPair(t, g)
	answer(t, s, "one!")
	if _, err := io.WriteString(c, "next"); err != nil { // before the server waits
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // "next" is in the socket before Read starts
	began := time.Now()
	if got := readN(t, s, 4); got != "next" {
		t.Fatalf("server read %q", got)
	}
	if took := time.Since(began); took > 40*g.watch.Tick() { // without the check: the 5 s read deadline
		t.Fatalf("the wait took %v: the stall check did not wake it", took)
	}
	if got := readN(t, c, 4); got != "one!" {
		t.Fatalf("client read %q", got)
	}
	cc := s.(*clientConn)
	if !cc.noHold.Load() {
		t.Fatal("a client that sends ahead still gets held responses")
	}
	answer(t, s, "two!")
	if cc.held.Load() != nil {
		t.Fatal("response held on a connection marked noHold")
	}
	if got := readN(t, c, 4); got != "two!" {
		t.Fatalf("client read %q", got)
	}
}

func TestHeldResponseSentOnCloseAndBeforeLaterWrites(t *testing.T) {
	s, c := connPair(t, newWatchedGateway(t))
	answer(t, s, "held;")
	if _, err := io.WriteString(s, "after;"); err != nil {
		t.Fatal(err)
	}
	answer(t, s, "last")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "held;after;last" {
		t.Fatalf("client got %q, %v; want every write, in order, then EOF", b, err)
	}
}

func TestLargeWritesAreNotHeld(t *testing.T) {
	s, c := connPair(t, newWatchedGateway(t))
	big := strings.Repeat("x", heldMax+1)
	go func() { answer(t, s, big) }()
	if got := readN(t, c, len(big)); got != big {
		t.Fatal("large response garbled")
	}
	if s.(*clientConn).held.Load() != nil {
		t.Fatal("a write over heldMax was held")
	}
}

// With the watchdog stopped nobody would catch a missed wake-up: a held
// response is written and the read is an ordinary one.
func TestHeldResponseWithoutWatchdogReadsNormally(t *testing.T) {
	g := newWatchedGateway(t)
	s, c := connPair(t, g)
	answer(t, s, "pong")
	if _, err := io.WriteString(c, "ping"); err != nil { // already there when Read starts
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	g.watch.Close()
	if got := readN(t, s, 4); got != "ping" {
		t.Fatalf("server read %q", got)
	}
	if got := readN(t, c, 4); got != "pong" {
		t.Fatalf("client read %q", got)
	}
}

// Through the whole gateway: a client that sends its next request while the
// previous one is at the backend, and one that half-closes after its
// request, are served at once — not after idle_timeout.
func TestClientsSendingAheadAreServed(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if ctx.QueryArgs().Has("slow") {
			time.Sleep(100 * time.Millisecond)
		}
		ctx.SetBodyString("ok " + string(ctx.QueryArgs().Peek("i")))
	})
	h := startGateway(t, configYAML(backend, "  limits: {idle_timeout: 30, read_timeout: 30}\n"))

	c := dialT(t, h.addr)
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	br := bufio.NewReader(c)
	for i := 0; i < 3; i++ {
		_, _ = io.WriteString(c, "GET /a?slow&i=1 HTTP/1.1\r\nHost: gw\r\n\r\n")
		time.Sleep(30 * time.Millisecond) // the first is at the backend now
		_, _ = io.WriteString(c, "GET /a?i=2 HTTP/1.1\r\nHost: gw\r\n\r\n")
		for _, want := range []string{"ok 1", "ok 2"} {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("round %d, %q: %v", i, want, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != want {
				t.Fatalf("round %d: got %q, want %q", i, b, want)
			}
		}
	}

	hc := dialT(t, h.addr)
	_, _ = io.WriteString(hc, "GET /a?i=3 HTTP/1.1\r\nHost: gw\r\n\r\n")
	_ = hc.(*net.TCPConn).CloseWrite()
	if took, out := closedWithin(t, hc, 3*time.Second); !strings.HasSuffix(out, "ok 3") {
		t.Fatalf("half-closed client got %q after %v", out, took)
	}
}
