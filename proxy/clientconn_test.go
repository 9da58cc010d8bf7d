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

	"github.com/premier-gateway/premier/internal/sock"
	"github.com/premier-gateway/premier/proxy/upstream"
)

func newWatchedGateway(t *testing.T) *Gateway {
	t.Helper()
	return startGateway(t, configYAML("http://127.0.0.1:1", "")).gw
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
	s, err := g.listener(raw).Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cc, ok := s.(*sock.ClientConn)
	if !ok {
		t.Fatalf("accepted %T, want *sock.ClientConn", s)
	}
	if g.watch.Len() < 1 || cc.Watchdog() != g.watch {
		t.Fatal("accepted connection not watched by the gateway's watchdog")
	}
	_ = s.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := s.Read(make([]byte, 1)); err == nil || !upstream.IsTimeout(err) {
		t.Fatalf("read past its deadline: %v", err)
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
