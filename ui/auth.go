package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/adminauth"
	"github.com/premier-gateway/premier/ui/source"
)

// visibility is whether a client may see that the dashboard exists.
type visibility int

const (
	visible   visibility = iota
	hidden               // answer 404
	wrongHost            // loopback peer, non-loopback Host: DNS rebinding guard
)

// visibility: with a token everyone sees the dashboard (and must
// authenticate); without one, only loopback peers that did not come
// through a proxy (no forwarding headers) do. The Host must then also be
// a loopback name, so a page on another origin that resolves to 127.0.0.1
// (DNS rebinding) cannot read it.
func (d *Dashboard) visibility(ctx *fasthttp.RequestCtx, acc source.Access) visibility {
	if acc.Token != "" {
		return visible
	}
	if !adminauth.LoopbackPeer(ctx) || adminauth.Forwarded(ctx) {
		return hidden
	}
	if !adminauth.LoopbackHost(ctx.Host()) {
		return wrongHost
	}
	return visible
}

// authVia is how a request authenticated.
type authVia int

const (
	unauthenticated authVia = iota
	viaLoopback             // no token configured, loopback client: read-only (mayWrite)
	viaBearer               // Authorization: Bearer
	viaCookie               // login cookie
)

const cookieName = "premier_session"

func (d *Dashboard) authenticate(ctx *fasthttp.RequestCtx, acc source.Access) authVia {
	if acc.Token == "" {
		return viaLoopback // visibility already required a loopback client
	}
	if auth, ok := adminauth.Bearer(ctx); ok {
		if adminauth.TokenEqual(auth, acc.Token) {
			return viaBearer
		}
		return unauthenticated
	}
	if c := ctx.Request.Header.Cookie(cookieName); len(c) > 0 && d.validSession(c, acc.Token) {
		return viaCookie
	}
	return unauthenticated
}

// A session cookie is base64url(expiry unix seconds ‖ HMAC-SHA256(token,
// "premier-dashboard" ‖ expiry)): no server state, and changing the token
// ends every session.
func sessionValue(token string, expiry time.Time) string {
	var buf [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(expiry.Unix()))
	copy(buf[8:], sessionMAC(token, buf[:8]))
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

func sessionMAC(token string, exp []byte) []byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("premier-dashboard\x00"))
	m.Write(exp)
	return m.Sum(nil)
}

func (d *Dashboard) validSession(c []byte, token string) bool {
	raw := make([]byte, base64.RawURLEncoding.DecodedLen(len(c)))
	n, err := base64.RawURLEncoding.Decode(raw, c)
	if err != nil || n != 8+sha256.Size {
		return false
	}
	if !hmac.Equal(raw[8:n], sessionMAC(token, raw[:8])) {
		return false
	}
	return d.opts.now().Unix() < int64(binary.BigEndian.Uint64(raw[:8]))
}

// sameOriginOK is the CSRF check of every state-changing call. A browser
// marks its requests (Sec-Fetch-Site, Origin, Referer): when one of them
// is present it must say same-origin. A request with none of them is not
// from a browser: it passes only when it authenticated by something a
// browser does not send on its own (a bearer header, or a loopback client
// in no-token mode, which may only validate: mayWrite refuses the rest).
func (d *Dashboard) sameOriginOK(ctx *fasthttp.RequestCtx, via authVia) bool {
	h := &ctx.Request.Header
	if s := h.Peek("Sec-Fetch-Site"); len(s) > 0 {
		return string(s) == "same-origin"
	}
	if o := h.Peek("Origin"); len(o) > 0 {
		return sameHost(string(o), ctx.Host())
	}
	if r := h.Peek("Referer"); len(r) > 0 {
		return sameHost(string(r), ctx.Host())
	}
	return via == viaBearer || via == viaLoopback
}

// sameHost reports whether the URL's host:port is the request's Host. The
// scheme is not compared: behind a TLS-terminating proxy the gateway sees
// http while the browser says https.
func sameHost(rawURL string, host []byte) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, string(host))
}

// loginThrottle refuses token checks (login form and bearer header) from
// a client after too many failures in a minute, so the token cannot be
// guessed at network speed. It counts per client IP, so one client's
// guessing does not lock out the others; past maxThrottledClients
// addresses in a minute, new ones share one count.
type loginThrottle struct {
	mu     sync.Mutex
	window int64
	fails  map[string]int
}

const (
	maxLoginFailuresPerMinute = 20
	maxThrottledClients       = 10000
)

// roll starts a new count each minute; l.mu is held.
func (l *loginThrottle) roll(now time.Time) {
	if w := now.Unix() / 60; w != l.window || l.fails == nil {
		l.window, l.fails = w, map[string]int{}
	}
}

// key is the client's count, or the shared one when the table is full.
func (l *loginThrottle) key(client string) string {
	if _, ok := l.fails[client]; ok || len(l.fails) < maxThrottledClients {
		return client
	}
	return "*"
}

func (l *loginThrottle) blocked(now time.Time, client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	return l.fails[l.key(client)] >= maxLoginFailuresPerMinute
}

func (l *loginThrottle) failed(now time.Time, client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	l.fails[l.key(client)]++
}
