package sock

import (
	"net"
	"sync"
)

// Pending is the set of accepted connections a listener is still working
// on away from its accept loop (a TLS handshake, the peek for an HTTP/2
// preface), so that closing the listener closes them too instead of
// waiting out their deadlines. The zero value is ready to use.
type Pending struct {
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Track adds c. It reports false once CloseAll has run: the caller closes
// c itself.
func (p *Pending) Track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	if p.conns == nil {
		p.conns = map[net.Conn]struct{}{}
	}
	p.conns[c] = struct{}{}
	return true
}

// Untrack removes c: the listener is done with it.
func (p *Pending) Untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// CloseAll closes every tracked connection and refuses those tracked later.
func (p *Pending) CloseAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
}
