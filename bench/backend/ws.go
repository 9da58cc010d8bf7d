package main

import (
	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

var upgrader = websocket.FastHTTPUpgrader{
	// The demo accepts any origin: it runs behind the gateway on loopback.
	CheckOrigin: func(*fasthttp.RequestCtx) bool { return true },
}

// serveWSEcho upgrades to WebSocket and echoes every message (text or
// binary) until the peer closes.
func serveWSEcho(ctx *fasthttp.RequestCtx) {
	// On failure Upgrade has already written the 4xx answer.
	_ = upgrader.Upgrade(ctx, func(c *websocket.Conn) {
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(mt, msg); err != nil {
				return
			}
		}
	})
}
