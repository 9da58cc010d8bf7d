package proxy

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// connCap counts the open client connections of each address for
// limits.max_connections_per_ip: one client cannot hold the gateway's
// connection slots (idle keep-alives, slow requests) from every other. An
// IPv6 client counts by its /64, which one host usually holds whole.
// Connections are counted at accept, not per request.
type connCap struct {
	mu      sync.Mutex
	open    map[netip.Addr]int
	refused atomic.Uint64 // connections turned away
}

// admit counts a new connection from a against limit and returns the
// function that uncounts it (once, when it closes), or ok false when a
// already holds limit connections.
func (c *connCap) admit(a net.Addr, limit int) (release func(), ok bool) {
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

// connRefusal is the whole answer to a connection over the cap.
var connRefusal = func() []byte {
	body := jsonError(ErrTooManyConnections.Error()) // errorBodies fills in init, after this
	return fmt.Appendf(nil, "HTTP/1.1 %d Too Many Requests\r\nContent-Type: application/json\r\n"+
		"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		statusFor(ErrTooManyConnections), len(body), body)
}()

// refuseTime bounds refusing one connection.
const refuseTime = 250 * time.Millisecond

// refuse answers a connection over the cap with 429 and closes it. What the
// client already sent is read and dropped first (for at most refuseTime),
// so closing does not reset the connection before the answer is read.
func refuse(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(refuseTime))
	if _, err := c.Write(connRefusal); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}
