package proxy

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestDrainAnswersNewHTTP2Connection: an HTTP/2 client whose connection
// to the TLS listener finished its handshake (ALPN h2) and sent its
// preface just before the drain, and whose first request comes after the
// drain began, is answered 200 in full — the last call a new HTTP/1.1
// connection gets — then told GOAWAY; it is not refused with a GOAWAY
// naming no stream. Serve returns without waiting for the grace. The
// client is net/http's HTTP/2 (Transport.NewClientConn, HTTP/2 only).
func TestDrainAnswersNewHTTP2Connection(t *testing.T) {
	ca, leaf := localLeaf(t)
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("backend") })
	gw := newGateway(t, configYAML(b, tlsBlock(leaf, "")+"  limits: {shutdown_grace: 8}\n"))
	tln := listenTLS(t, gw)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, tln) }()

	tr := &http.Transport{TLSClientConfig: ca.ClientConfig("localhost"), Protocols: new(http.Protocols)}
	tr.Protocols.SetHTTP2(true)
	// The handshake (ALPN h2), the preface and SETTINGS, done before the drain.
	cc, err := tr.NewClientConn(context.Background(), "https", tln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	time.Sleep(50 * time.Millisecond) // the gateway has the connection
	start := time.Now()
	cancel() // lame_duck 0: the drain reaches the HTTP/2 connections at once
	time.Sleep(300 * time.Millisecond)

	req, _ := http.NewRequest("GET", "https://localhost/late", nil)
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	resp, err := cc.RoundTrip(req.WithContext(rctx)) // Host localhost, on cc's connection
	if err != nil {
		t.Fatalf("the first request on a new HTTP/2 connection after the drain began: %v, want an answer", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "backend" || resp.Proto != "HTTP/2.0" {
		t.Fatalf("%s %d %q, want HTTP/2.0 200 backend", resp.Proto, resp.StatusCode, body)
	}
	for deadline := time.Now().Add(5 * time.Second); cc.Available() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no GOAWAY after the last call's stream")
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the connection's last stream")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the drain took %v: it waited for the grace, not for the stream", d)
	}
}
