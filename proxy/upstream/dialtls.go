package upstream

import (
	"crypto/tls"
	"fmt"
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
	return tc, nil
}
