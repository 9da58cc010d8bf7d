package proxy

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// Serve is the one call that puts a gateway on a listener: the listener's
// protections apply (here the per-address connection cap), and cancelling
// drains and closes relayed WebSockets with 1001 before Serve returns nil.
func TestServeAppliesProtectionsAndDrains(t *testing.T) {
	noLeaks(t)
	b := startWSBackend(t)
	gw := newGateway(t, configYAML(b.url, "  limits: {max_connections_per_ip: 1, shutdown_grace: 2}\n"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()

	c := mustDial(t, "ws://"+ln.Addr().String()+"/ws") // holds the address's one connection
	echo(t, c, websocket.TextMessage, []byte("x"))
	if out := rawRequest(t, ln.Addr().String(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.HasPrefix(out, "HTTP/1.1 429") {
		t.Fatalf("second connection from the address: %.40q, want 429 (the cap applies under Serve)", out)
	}

	cancel()
	if code, _ := closeCode(t, c); code != 1001 {
		t.Fatalf("relayed WebSocket closed with %d, want 1001", code)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v, want nil after a clean drain", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if ce := <-b.closes; ce.Code != 1001 {
		t.Fatalf("backend saw close %v, want 1001", ce)
	}
}
