package proxy

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/premier-gateway/premier/internal/sock"
)

// clientPreface opens every HTTP/2 connection (RFC 9113 §3.4).
var clientPreface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// h2cListener serves HTTP/2 with prior knowledge (h2c: true) on the
// plain listener. Each accepted connection waits, on a goroutine of its
// own, until its first bytes tell the HTTP/2 preface from an HTTP/1.1
// request line: a peek at the socket (sock.PeekPrefix), so nothing is
// consumed and HTTP/1.1 connections reach the server exactly as without
// h2c. HTTP/2 ones go to the HTTP/2 server with the same per-address cap
// and watchdog. Deciding off the accept loop keeps a client that sends
// nothing from holding up the others; at most limits.max_connections
// connections wait to be told apart at once (then accepting pauses and
// new connections wait in the kernel's backlog), each at most
// limits.read_timeout, after which it is closed as the HTTP/1.1 server
// closes a client that sends no request. The cost is one goroutine per
// connection, only when h2c is on.
type h2cListener struct {
	net.Listener
	g     *Gateway
	ready chan net.Conn // HTTP/1.1 connections, for Accept
	errs  chan error    // the inner listener's failures, for Accept
	done  chan struct{}
	slots chan struct{} // one per connection being told apart

	closeOnce sync.Once
	pending   sock.Pending   // connections being told apart
	wg        sync.WaitGroup // the loop and the sniffs
	// draining: StopAccepting ran; sniffs counts the connections not yet
	// handed on, which a drain lets finish.
	draining atomic.Bool
	sniffs   sync.WaitGroup
}

func (g *Gateway) sniffH2C(ln net.Listener) *h2cListener {
	l := &h2cListener{
		Listener: ln,
		g:        g,
		ready:    make(chan net.Conn),
		errs:     make(chan error),
		done:     make(chan struct{}),
		slots:    make(chan struct{}, max(1, g.Loaded().Config.Limits.MaxConnections)),
	}
	l.wg.Add(1)
	go l.loop()
	return l
}

func (l *h2cListener) loop() {
	defer l.wg.Done()
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return
		}
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			if l.draining.Load() { // StopAccepting: hand on the connections being told apart, then end
				l.sniffs.Wait()
				l.closeOnce.Do(func() { close(l.done) })
				return
			}
			select {
			case l.errs <- err: // a temporary failure is the server's to retry
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if !l.pending.Track(c) {
			<-l.slots
			_ = c.Close()
			return
		}
		l.wg.Add(1)
		l.sniffs.Add(1)
		go l.sniff(c)
	}
}

// sniff tells c's protocol from its first bytes and hands it on.
func (l *h2cListener) sniff(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(seconds(l.g.Loaded().Config.Limits.ReadTimeout)))
	h2, err := sock.PeekPrefix(c, clientPreface)
	_ = c.SetReadDeadline(time.Time{})
	l.pending.Untrack(c)
	<-l.slots
	l.wg.Done()
	switch {
	case err != nil:
		l.sniffs.Done()
		_ = c.Close()
	case h2:
		wc := l.g.admit(c)
		if wc == nil {
			l.sniffs.Done()
			_ = c.Close() // over max_connections_per_ip; an HTTP/1.1 429 would mean nothing to it
			return
		}
		serve := l.g.h2.Take(wc, false) // claimed while the sniff still counts: a drain waits for it
		l.sniffs.Done()
		if serve != nil {
			serve()
		}
	default:
		defer l.sniffs.Done()
		select {
		case l.ready <- c:
		case <-l.done:
			_ = c.Close()
		}
	}
}

// StopAccepting ends accepting without dropping what was accepted: the
// connections the kernel queued are still taken (sweepBacklog), those
// being told apart are handed on as usual (the HTTP/1.1 ones through
// Accept), and then Accept reports net.ErrClosed.
func (l *h2cListener) StopAccepting() {
	if !l.draining.Swap(true) {
		sweepBacklog(l.Listener)
	}
}

// Accept returns the next HTTP/1.1 connection.
func (l *h2cListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting and closes the connections still being told
// apart; HTTP/2 connections already served end with the HTTP/2 server.
func (l *h2cListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	err := l.Listener.Close()
	l.pending.CloseAll()
	l.wg.Wait()
	return err
}
