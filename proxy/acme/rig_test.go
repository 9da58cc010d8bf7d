package acme

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/syncbuf"
	"github.com/valyala/fasthttp"
)

// rig stands in for the gateway's two listeners: a plain one that answers
// HTTP-01 before anything else and redirects every other request to https
// (as redirect_http does), and a TLS one whose certificates come from the
// manager and which offers "acme-tls/1".
type rig struct {
	plain, tls net.Listener
	log        *syncbuf.Buffer
	m          *Manager
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{log: &syncbuf.Buffer{}}
	var err error
	if r.plain, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if r.tls, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return r
}

// port is a listener's port.
func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// logger writes the manager's lines (certmagic's included) to the rig's
// buffer at Debug, so a failing test shows them.
func (r *rig) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// serve starts both listeners on m; they stop when the test ends, before
// the manager does.
func (r *rig) serve(t *testing.T, m *Manager) {
	t.Helper()
	r.m = m
	stop := serveListeners(m, r.plain, r.tls)
	t.Cleanup(func() {
		stop()
		m.Stop()
		if t.Failed() {
			t.Logf("manager's log:\n%s", r.log.String())
		}
	})
}

// serveListeners serves plain and tlsLn as the gateway would and returns
// the function that stops both and waits for them.
func serveListeners(m *Manager, plainLn, tlsLn net.Listener) (stop func()) {
	plain := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if m.ServeHTTPChallenge(ctx) {
			return
		}
		ctx.Redirect("https://"+string(ctx.Host())+string(ctx.RequestURI()), fasthttp.StatusPermanentRedirect)
	}}
	secure := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("secure") }}
	ln := tls.NewListener(tlsLn, &tls.Config{
		GetCertificate: m.GetCertificate,
		NextProtos:     []string{"http/1.1", ALPNProto},
	})
	done := make(chan struct{}, 2)
	go func() { _ = plain.Serve(plainLn); done <- struct{}{} }()
	go func() { _ = secure.Serve(onlyHTTP{ln}); done <- struct{}{} }()
	return func() {
		_ = plain.Shutdown()
		_ = secure.Shutdown()
		<-done
		<-done
	}
}

// onlyHTTP completes each TLS handshake before fasthttp sees the
// connection and closes the ones that negotiated "acme-tls/1": a
// TLS-ALPN-01 validation ends with the handshake (RFC 8737).
type onlyHTTP struct{ net.Listener }

func (l onlyHTTP) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := c.(*tls.Conn)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil || tc.ConnectionState().NegotiatedProtocol == ALPNProto {
			tc.Close()
			continue
		}
		_ = tc.SetDeadline(time.Time{})
		return tc, nil
	}
}

// waitReady waits for the manager's certificates.
func waitReady(t *testing.T, m *Manager, within time.Duration) {
	t.Helper()
	select {
	case <-m.Ready():
	case <-time.After(within):
		t.Fatalf("no certificate within %v", within)
	}
}

// handshake dials the rig's TLS listener for name, verifying against roots,
// and returns the leaf the server presented.
func handshake(t *testing.T, addr, name string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: name, RootCAs: roots, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatalf("handshake for %s: %v", name, err)
	}
	defer c.Close()
	// An HTTP/1.1 request over it, to show the listener serves after a
	// verified handshake.
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: " + name + "\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil && !errors.Is(err, net.ErrClosed) && n == 0 {
		t.Fatalf("reading the answer: %v", err)
	}
	if got := string(buf[:n]); len(got) < 12 || got[:12] != "HTTP/1.1 200" {
		t.Fatalf("answer over TLS: %q", got)
	}
	return c.ConnectionState().PeerCertificates[0]
}

func addrOf(ln net.Listener) string { return "127.0.0.1:" + strconv.Itoa(port(ln)) }
