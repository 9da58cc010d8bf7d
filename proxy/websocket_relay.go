package proxy

import (
	"net"
	"time"

	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/wsrelay"
)

// newWSConn prepares the relay of an upgrade rule p accepted on backend b,
// whose 101 arrived on bc: the relay gets the rule's settings as values.
func (g *Gateway) newWSConn(h *wsrelay.Hub, r *wsrelay.Rule, p *plan, cfg *config.WebSocket, b *lb.Backend, bc net.Conn, s *scratch) *wsrelay.Conn {
	o := wsrelay.Options{Route: p.name, Backend: b.URL, LogThreshold: p.logThreshold,
		Detached: g.keepsHijacked.Load()}
	if w := g.newWSLog(s); w != nil {
		o.Closed = w.closed
	}
	if cfg != nil {
		o.IdleTimeout = seconds(cfg.IdleTimeout)
		o.MaxMessageBytes = cfg.MaxMessageBytes
	}
	return wsrelay.NewConn(h, r, bc, o)
}

// wsRoutes names every rule of t: after a reload, the relayed connections
// of rules not named here are closed.
func (t *table) wsRoutes() map[string]bool {
	names := make(map[string]bool, len(t.rules)+1)
	names[t.fallback.name] = true
	for _, p := range t.rules {
		names[p.name] = true
	}
	return names
}

// closeWebSockets closes every proxied WebSocket connection for shutdown:
// both peers get a close frame 1001 ("going away") at once, the closing
// handshakes get at most grace, then the connections are cut. New upgrades
// are refused with 503 from the first call on. It returns when all
// connections are gone.
//
// fasthttp's Server.Shutdown does not wait for hijacked connections, so
// call it after (or alongside) the server's shutdown.
func (g *Gateway) closeWebSockets(grace time.Duration) { g.ws.CloseAll(grace) }

// WebSocketStats returns every rule's WebSocket counters, in the order the
// rules first proxied a WebSocket.
func (g *Gateway) WebSocketStats() []wsrelay.Stats { return g.ws.Stats() }
