package sock

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// ConnCap counts the open client connections of each address for a
// per-address cap (limits.max_connections_per_ip): one client cannot hold
// the gateway's connection slots (idle keep-alives, slow requests) from
// every other. An IPv6 client counts by its /64, which one host usually
// holds whole. Connections are counted at accept, not per request. The
// zero value is ready to use.
type ConnCap struct {
	mu      sync.Mutex
	open    map[netip.Addr]int
	refused atomic.Uint64 // connections turned away
}

// Admit counts a new connection from a against limit and returns the
// function that uncounts it (once, when it closes), or ok false when a
// already holds limit connections.
func (c *ConnCap) Admit(a net.Addr, limit int) (release func(), ok bool) {
	key := capKey(a)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[key] >= limit {
		c.refused.Add(1)
		return nil, false
	}
	if c.open == nil {
		c.open = make(map[netip.Addr]int)
	}
	c.open[key]++
	return func() {
		c.mu.Lock()
		if c.open[key]--; c.open[key] <= 0 {
			delete(c.open, key)
		}
		c.mu.Unlock()
	}, true
}

// Refused is the number of connections turned away so far.
func (c *ConnCap) Refused() uint64 { return c.refused.Load() }

// capKey is the address a connection counts under.
func capKey(a net.Addr) netip.Addr {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip := ta.AddrPort().Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// RefuseTime bounds refusing one connection.
const RefuseTime = 250 * time.Millisecond

// Refuse writes answer (a whole HTTP response: 429 for a connection over
// the cap) to c and closes it. What the client already sent is read and
// dropped first (for at most RefuseTime), so closing does not reset the
// connection before the answer is read.
func Refuse(c net.Conn, answer []byte) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(RefuseTime))
	if _, err := c.Write(answer); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}
