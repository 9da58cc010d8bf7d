package edge

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/premier-gateway/premier/internal/sock"
)

// Listener terminates TLS on the connections of an inner listener. Its
// accept loop only accepts: each handshake runs in a goroutine of its own,
// bounded in number and in time, so a client that stalls its handshake
// holds one goroutine until the handshake deadline and never the loop.
// A finished handshake that negotiated http/1.1 (or no ALPN) comes out of
// Accept as a *tls.Conn; one that negotiated a protocol with a hook is
// handed to that hook on its goroutine; any other is closed.
type Listener struct {
	inner   net.Listener
	cfg     *tls.Config
	timeout time.Duration
	hooks   map[string]Hook
	stats   *Stats

	ready chan net.Conn
	done  chan struct{}
	slots chan struct{} // one per handshake in progress

	closeOnce sync.Once
	doneOnce  sync.Once
	errMu     sync.Mutex
	err       error // the inner listener's failure, once it failed

	pending sock.Pending   // connections still handshaking
	wg      sync.WaitGroup // the accept loop and the handshakes
	// draining: StopAccepting ran; handshakes counts the handshakes not
	// yet handed on, which a drain lets finish.
	draining   atomic.Bool
	handshakes sync.WaitGroup
}

// ListenerOptions bound the handshakes.
// A Hook takes a connection whose handshake negotiated the hook's ALPN
// protocol. It claims the connection at once, on the goroutine that
// completed the handshake and before the handshake stops counting as in
// progress, so a drain that stops accepting then (StopAccepting) finds it
// with its owner, not between the two; and it returns what serves it,
// run next on that goroutine (the listener's part ends there), or nil
// when it refused the connection and closed it.
type Hook func(net.Conn) (serve func())

type ListenerOptions struct {
	// HandshakeTimeout bounds each handshake (the gateway passes
	// limits.read_timeout). Default 10 s.
	HandshakeTimeout time.Duration
	// MaxHandshakes bounds the handshakes in progress; at the bound the
	// loop stops accepting until one ends, and new connections wait in
	// the kernel's backlog. Default 1024.
	MaxHandshakes int
	// Hooks take the connections whose ALPN protocol they name (see
	// Hook). "h2" is the HTTP/2 server's.
	Hooks map[string]Hook
	// Stats counts the handshakes (nil: not counted).
	Stats *Stats
}

// NewListener starts terminating TLS with cfg on inner's connections.
// Close stops it.
func NewListener(inner net.Listener, cfg *tls.Config, opts ListenerOptions) *Listener {
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = 10 * time.Second
	}
	if opts.MaxHandshakes <= 0 {
		opts.MaxHandshakes = 1024
	}
	l := &Listener{
		inner:   inner,
		cfg:     cfg,
		timeout: opts.HandshakeTimeout,
		hooks:   opts.Hooks,
		stats:   opts.Stats,
		ready:   make(chan net.Conn),
		done:    make(chan struct{}),
		slots:   make(chan struct{}, opts.MaxHandshakes),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// Accept returns the next connection whose handshake negotiated HTTP/1.1.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, l.closedErr()
	}
}

// Addr is the inner listener's address.
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// Close stops accepting, aborts the handshakes in progress and waits for
// their goroutines. Connections already handed on live on: their owners
// (the server, the hooks) close them.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.stop()
		err = l.inner.Close()
		l.pending.CloseAll()
		l.wg.Wait()
	})
	return err
}

// StopAccepting ends accepting without aborting what was accepted: the
// inner listener stops (with its own StopAccepting when it has one, which
// still takes the connections the kernel queued), the handshakes in
// progress finish within their timeout and come out of Accept (or go to
// their hook) as usual, and then Accept reports net.ErrClosed. A client
// whose connect succeeded just before a drain is thus served, not cut off
// in its handshake. Close still aborts whatever is left.
func (l *Listener) StopAccepting() {
	if l.draining.Swap(true) {
		return
	}
	if sa, ok := l.inner.(interface{ StopAccepting() }); ok {
		sa.StopAccepting()
		return
	}
	_ = l.inner.Close()
}

func (l *Listener) closedErr() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	if l.err != nil {
		return l.err
	}
	return net.ErrClosed
}

// acceptLoop accepts until the inner listener fails or Close.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return
		}
		c, err := l.inner.Accept()
		if err != nil {
			<-l.slots
			if l.draining.Load() { // StopAccepting: hand on the handshakes in progress, then end
				l.handshakes.Wait()
				l.stop()
				return
			}
			if sock.RetryAccept(err, &backoff, l.done) { // out of descriptors and the like: wait, as net/http does
				continue
			}
			select {
			case <-l.done:
				return
			default:
			}
			l.fail(err)
			return
		}
		backoff = 0
		l.wg.Add(1)
		l.handshakes.Add(1)
		go l.handshake(c)
	}
}

// fail records the inner listener's error and ends Accept with it.
func (l *Listener) fail(err error) {
	select {
	case <-l.done: // closed: Accept reports net.ErrClosed
		return
	default:
	}
	l.errMu.Lock()
	if l.err == nil {
		l.err = err
	}
	l.errMu.Unlock()
	l.stop()
}

// stop ends Accept and the hand-overs waiting on it.
func (l *Listener) stop() { l.doneOnce.Do(func() { close(l.done) }) }

// handshake completes c's handshake within the timeout and hands it on.
func (l *Listener) handshake(c net.Conn) {
	tc := tls.Server(c, l.cfg)
	if !l.pending.Track(c) {
		_ = c.Close()
		<-l.slots
		l.handshakes.Done()
		l.wg.Done()
		return
	}
	_ = c.SetDeadline(time.Now().Add(l.timeout))
	err := tc.Handshake()
	l.pending.Untrack(c)
	<-l.slots
	if err != nil {
		if l.stats != nil {
			l.stats.Failed(err)
		}
		_ = tc.Close()
		l.handshakes.Done()
		l.wg.Done()
		return
	}
	_ = c.SetDeadline(time.Time{}) // the server sets its own from here
	st := tc.ConnectionState()
	if l.stats != nil {
		l.stats.Done(&st)
	}
	proto := st.NegotiatedProtocol
	if hook := l.hooks[proto]; hook != nil {
		serve := hook(tc) // claimed while the handshake still counts (Hook)
		l.handshakes.Done()
		l.wg.Done() // the connection's lifetime is its owner's, not the listener's
		if serve != nil {
			serve()
		}
		return
	}
	defer l.wg.Done()
	defer l.handshakes.Done()
	if proto != "" && proto != ProtoHTTP11 {
		_ = tc.Close()
		return
	}
	select {
	case l.ready <- tc:
	case <-l.done:
		_ = tc.Close()
	}
}
