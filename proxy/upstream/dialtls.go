package upstream

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/watchdog"
)

// DialTLS opens a backend connection as [Dial] does and completes a TLS
// handshake over it with cfg, within timeout (0: within fallback), so a
// backend that accepts the connection and never answers the handshake
// costs an attempt no more than a backend that does not accept it.
//
// The TLS connection is a *tls.Conn over the watched connection: the
// per-request deadlines still cost no timer, but the transport sends and
// awaits through the TLS layer (its records are not the socket's bytes,
// so the raw-socket send-and-await of plain connections does not apply)
// and counts an idle TLS connection as sound (see idleConnBroken).
// Handshake failures (an unknown authority, a wrong name, a refused client
// certificate) come back wrapped so the log says it was the handshake.
func DialTLS(w *watchdog.Watchdog, dial fasthttp.DialFunc, addr string, timeout, fallback time.Duration, cfg *tls.Config) (net.Conn, error) {
	c, err := Dial(w, dial, addr, timeout)
	if err != nil {
		return nil, err
	}
	hs := timeout
	if hs <= 0 {
		hs = fallback
	}
	tc := tls.Client(c, cfg)
	if hs > 0 {
		_ = c.SetDeadline(time.Now().Add(hs))
	}
	if err := tc.Handshake(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
	}
	if hs > 0 {
		_ = c.SetDeadline(time.Time{})
	}
	return &tlsConn{Conn: tc}, nil
}

// tlsConn is a backend TLS connection that keeps its last read error.
// fasthttp reports any failure before a response's first byte as io.EOF,
// which for TLS hides the backend's alert: in TLS 1.3 a backend refuses
// the gateway's client certificate (or its lack of one) only after the
// client's side of the handshake is done, so the refusal arrives where the
// response should be. Embedding *tls.Conn keeps its Handshake method, by
// which fasthttp knows the connection is TLS already.
type tlsConn struct {
	*tls.Conn
	readErr error
}

// Read implements net.Conn.
func (c *tlsConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.readErr = err
	}
	return n, err
}

// withTLSCause adds to err, a failure to read a response head from c, the
// TLS layer's own read error when it says more (a backend's alert).
func withTLSCause(c net.Conn, err error) error {
	tc, ok := c.(*tlsConn)
	if !ok || tc.readErr == nil || errors.Is(tc.readErr, io.EOF) || errors.Is(err, tc.readErr) {
		return err
	}
	return tlsReadError{err: err, cause: tc.readErr}
}

// tlsReadError is a failed response read with the TLS layer's reason. It
// is both errors, so the transport's checks (the keep-alive race's EOF,
// timeouts) see the one they look for.
type tlsReadError struct{ err, cause error }

func (e tlsReadError) Error() string   { return "TLS connection: " + e.cause.Error() }
func (e tlsReadError) Unwrap() []error { return []error{e.err, e.cause} }
