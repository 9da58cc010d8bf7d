package edge

import (
	"crypto/tls"
	"errors"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/proxy/config"
)

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestALPNDispatch: h2 goes to its hook, http/1.1 and no ALPN come out of
// Accept, acme-tls/1 without a hook is closed after its handshake.
func TestALPNDispatch(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}})
	hooked := make(chan string, 1)
	l := serveTLS(t, []*tlstest.Issued{leaf}, Options{Protocols: []string{ProtoH2, "acme-tls/1"}},
		ListenerOptions{Hooks: map[string]Hook{ProtoH2: func(c net.Conn) func() {
			return func() {
				hooked <- c.(*tls.Conn).ConnectionState().NegotiatedProtocol
				_ = c.Close()
			}
		}}})
	cfg := ca.ClientConfig("api.example.test")
	cfg.NextProtos = []string{"http/1.1", "h2"} // the server's preference wins
	c, err := tls.Dial("tcp", l.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case p := <-hooked:
		if p != "h2" {
			t.Errorf("hook got %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the h2 hook was not called")
	}
	for _, protos := range [][]string{{"http/1.1"}, nil, {"acme-tls/1"}} {
		cfg := ca.ClientConfig("api.example.test")
		cfg.NextProtos = protos
		c, err := tls.Dial("tcp", l.Addr().String(), cfg)
		if err != nil {
			t.Fatalf("%v: %v", protos, err)
		}
		// serveTLS's server closes what Accept returns; acme-tls/1 is
		// closed by the listener: both read EOF.
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "timeout") {
			t.Errorf("%v: read %v, want the connection closed", protos, err)
		}
		c.Close()
	}
}

// TestHandshakeOffTheAcceptLoop: connections that never send a
// ClientHello do not stop other clients' handshakes, are closed at the
// handshake timeout, and leave no goroutine behind.
func TestHandshakeOffTheAcceptLoop(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}})
	before := runtime.NumGoroutine()
	l := serveTLS(t, []*tlstest.Issued{leaf}, Options{}, ListenerOptions{HandshakeTimeout: 300 * time.Millisecond, MaxHandshakes: 64})
	var silent []net.Conn
	for range 20 {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c)
	}
	start := time.Now()
	if got := served(t, l, ca.ClientConfig("api.example.test")); got == "" {
		t.Fatal("no certificate")
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("a handshake behind 20 silent connections took %v", d)
	}
	for _, c := range silent {
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := c.Read(make([]byte, 1))
		if err == nil || strings.Contains(err.Error(), "timeout") {
			t.Errorf("a silent connection was not closed at the handshake timeout: %d, %v", n, err)
		}
		c.Close()
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("%d goroutines after the silent connections ended, %d before", n, before)
	}
}

// TestCloseAbortsHandshakes: Close returns promptly with handshakes still
// waiting for a ClientHello, and Accept then fails with net.ErrClosed.
func TestCloseAbortsHandshakes(t *testing.T) {
	ca := tlstest.NewCA(t)
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}})
	l := serveTLS(t, []*tlstest.Issued{leaf}, Options{}, ListenerOptions{HandshakeTimeout: time.Minute})
	for range 5 {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	time.Sleep(50 * time.Millisecond) // let the loop accept them
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v", err)
	}
}

// TestStopAcceptingFinishesHandshakes: unlike Close, StopAccepting lets a
// connection accepted before it, whose ClientHello comes after, complete
// its handshake and come out of Accept; then Accept fails with
// net.ErrClosed and new connections are refused.
func TestStopAcceptingFinishesHandshakes(t *testing.T) {
	ca := tlstest.NewCA(t)
	l := unservedListener(t, ca, Options{}, ListenerOptions{HandshakeTimeout: 5 * time.Second})
	defer l.Close()
	raw, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	time.Sleep(50 * time.Millisecond) // accepted, waiting for its ClientHello
	l.StopAccepting()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Errorf("Accept: %v, want the connection accepted before StopAccepting", err)
		}
		accepted <- c
	}()
	tc := tls.Client(raw, ca.ClientConfig("api.example.test"))
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake after StopAccepting: %v", err)
	}
	if c := <-accepted; c != nil {
		_ = c.Close()
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept once handed on: %v, want net.ErrClosed", err)
	}
	if c, err := net.DialTimeout("tcp", l.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("still accepting after StopAccepting")
	}
}

// TestStopAcceptingWaitsForHookClaim: a connection whose handshake ends
// just as a drain stops accepting is claimed by its hook before Accept
// reports net.ErrClosed, so the owner a drain turns to next (the HTTP/2
// server's Shutdown, in the gateway) already counts it. The hook's claim
// is slowed here to make the order observable; serving runs after it.
func TestStopAcceptingWaitsForHookClaim(t *testing.T) {
	ca := tlstest.NewCA(t)
	var claimed, served atomic.Bool
	claiming := make(chan struct{})
	l := unservedListener(t, ca, Options{Protocols: []string{ProtoH2}},
		ListenerOptions{HandshakeTimeout: 5 * time.Second, Hooks: map[string]Hook{ProtoH2: func(c net.Conn) func() {
			close(claiming)
			time.Sleep(300 * time.Millisecond) // the owner registering the connection
			claimed.Store(true)
			return func() { served.Store(true); _ = c.Close() }
		}}})
	defer l.Close()
	cfg := ca.ClientConfig("api.example.test")
	cfg.NextProtos = []string{ProtoH2}
	c, err := tls.Dial("tcp", l.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-claiming
	l.StopAccepting()
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept: %v, want net.ErrClosed", err)
	}
	if !claimed.Load() {
		t.Fatal("Accept reported the listener closed before the hook had claimed its connection")
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read data from a connection the hook closed")
	}
	if !served.Load() {
		t.Error("the hook's serve did not run")
	}
}

// unservedListener is a TLS listener for api.example.test, signed by ca,
// on 127.0.0.1 with nothing accepting from it: the test drives Accept.
func unservedListener(t *testing.T, ca *tlstest.CA, opts Options, lo ListenerOptions) *Listener {
	t.Helper()
	leaf := ca.Issue(tlstest.Leaf{Names: []string{"api.example.test"}})
	store, err := LoadStore([]config.Certificate{{CertFile: leaf.CertFile, KeyFile: leaf.KeyFile}})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return NewListener(inner, NewConfig(&config.TLS{MinVersion: "1.2"}, store, opts), lo)
}
