package proxy

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// isWebSocketUpgrade reports whether req asks for a WebSocket upgrade
// (RFC 6455 §4.1: GET, Connection: upgrade, Upgrade: websocket).
func isWebSocketUpgrade(req *fasthttp.Request) bool {
	return req.Header.IsGet() && bytes.EqualFold(req.Header.Peek("Upgrade"), strWebSocket) &&
		req.Header.ConnectionUpgrade()
}

var strWebSocket = []byte("websocket")

// serveWebSocket proxies an upgrade request. Not built yet: refused.
func (p *plan) serveWebSocket(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch) string {
	writeError(ctx, ErrBadRequest)
	return ""
}
