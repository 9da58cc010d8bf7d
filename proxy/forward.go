package proxy

import (
	"errors"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// forward sends ctx.Request to one of the rule's backends in place and
// leaves the backend's response (streamed) in ctx.Response.
func (p *plan) forward(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, deadline time.Time) string {
	i := p.balancer.Pick(0, nil)
	if i < 0 {
		writeError(ctx, ErrNoBackend)
		ctx.Response.Header.Set("Retry-After", "1")
		return ""
	}
	b := p.backends[i]
	req := &ctx.Request
	clientClose := req.Header.ConnectionClose()
	s.buf = prepareRequest(ctx, t, s.buf)
	if b.Target.TLS {
		req.URI().SetSchemeBytes(strHTTPS)
	}

	b.Start()
	began := time.Now()
	err := roundTrip(b.Client, req, &ctx.Response, deadline, p.wholeBody)
	failed := err != nil || ctx.Response.StatusCode() >= 500
	s.obs.Upstream = time.Since(began)
	b.Done(s.obs.Upstream, failed)
	if err != nil {
		p.backendError(g, ctx, b.URL, err)
		if clientClose {
			ctx.SetConnectionClose()
		}
		return b.URL
	}
	s.buf = stripHopByHop(&ctx.Response.Header, s.buf)
	ctx.Response.Header.ResetConnectionClose()
	if clientClose {
		ctx.SetConnectionClose()
	}
	return b.URL
}

// prepareRequest sanitises the request for the backend: hop-by-hop headers
// out, X-Forwarded-* in, the client's Host kept.
func prepareRequest(ctx *fasthttp.RequestCtx, t *table, buf []byte) []byte {
	req := &ctx.Request
	buf = stripHopByHop(&req.Header, buf)
	req.Header.ResetConnectionClose()
	req.UseHostHeader = true

	// X-Forwarded-For: every value the client sent, then the TCP peer.
	buf = buf[:0]
	req.Header.VisitAll(func(k, v []byte) {
		if equalFoldString(k, hdrXFF) {
			if len(buf) > 0 {
				buf = append(buf, ", "...)
			}
			buf = append(buf, v...)
		}
	})
	if len(buf) > 0 {
		buf = append(buf, ", "...)
	}
	buf = appendPeerIP(buf, ctx)
	req.Header.Del(hdrXFF)
	req.Header.SetBytesV(hdrXFF, buf)

	if ctx.IsTLS() {
		req.Header.SetBytesV(hdrXFProto, strHTTPS)
	} else {
		req.Header.SetBytesV(hdrXFProto, strHTTP)
	}
	req.Header.SetBytesV(hdrXFHost, req.Header.Host())
	return buf
}

func appendPeerIP(dst []byte, ctx *fasthttp.RequestCtx) []byte {
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		ap := a.AddrPort()
		return ap.Addr().Unmap().AppendTo(dst)
	}
	return append(dst, "unknown"...)
}

func equalFoldString(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i]|0x20, s[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// backendError answers a failed backend exchange: the rule's timeout
// response, or 502 — never revealing the backend's address.
func (p *plan) backendError(g *Gateway, ctx *fasthttp.RequestCtx, backend string, err error) {
	if isTimeout(err) {
		if p.timeout > 0 {
			writeJSON(ctx, p.timeoutCode, p.timeoutBody)
			return
		}
		writeError(ctx, ErrTimeout)
		return
	}
	g.backendFailures.note(backend, err)
	writeError(ctx, ErrBadGateway)
}

func isTimeout(err error) bool {
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

const (
	hdrXFF     = "X-Forwarded-For"
	hdrXFProto = "X-Forwarded-Proto"
	hdrXFHost  = "X-Forwarded-Host"
)

var (
	strHTTP  = []byte("http")
	strHTTPS = []byte("https")
)
