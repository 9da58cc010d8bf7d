package h2

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
)

// Options are the limits of the HTTP/2 connections a Server runs. A zero
// field takes its default.
type Options struct {
	// MaxConcurrentStreams is how many streams a client may have open on
	// one connection (SETTINGS_MAX_CONCURRENT_STREAMS). Default 100.
	MaxConcurrentStreams uint32
	// MaxHeaderBytes bounds a request's header list
	// (SETTINGS_MAX_HEADER_LIST_SIZE, decoded size). Default 16384, the
	// gateway's limits.max_header_bytes.
	MaxHeaderBytes int
	// ReadTimeout bounds reading a stream's request body from the moment
	// its headers arrived, and a new connection's preface and first
	// SETTINGS. Default 30 s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a stream's response: a stream still
	// waiting for the client's flow-control window this long after its
	// headers arrived is reset, and one write to the client that takes
	// this long ends the connection. Default 60 s.
	WriteTimeout time.Duration
	// IdleTimeout closes a connection with no open stream this long.
	// Default 60 s.
	IdleTimeout time.Duration
	// MaxResetsPerSecond is how many RST_STREAM frames a client may send
	// on one connection within a second; one more ends the connection
	// with GOAWAY ENHANCE_YOUR_CALM. Default 200.
	MaxResetsPerSecond int
	// MaxConnections caps the connections served at once; one more is
	// closed at once. Default 10000, the gateway's limits.max_connections.
	MaxConnections int
	// Logger receives the clients' protocol errors (at debug level) and
	// one warning per connection ended for a flood. Default: discarded.
	Logger *slog.Logger

	// newConnIdle is newConnLastCall; tests shorten it.
	newConnIdle time.Duration
}

// The receive windows: how much request body a client may send before the
// handler reads it, per stream and per connection. They bound the memory
// one connection can make the server buffer: 1 MiB, whatever the number
// of streams.
const (
	streamWindow = 256 << 10
	connWindow   = 1 << 20
)

func (o *Options) defaults() {
	if o.MaxConcurrentStreams == 0 {
		o.MaxConcurrentStreams = 100
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 16 << 10
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 30 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 60 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 60 * time.Second
	}
	if o.MaxResetsPerSecond <= 0 {
		o.MaxResetsPerSecond = 200
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.newConnIdle <= 0 {
		o.newConnIdle = newConnLastCall
	}
}

// newConnLastCall is how long a new connection counts as not yet idle
// when the server shuts down: the HTTP/1.1 server's rule (fasthttp, as
// net/http, treats a connection as idle only 5 s after it opened), so a
// client whose connection opened just before a drain, and whose first
// request is still on its way, is answered over HTTP/2 as over HTTP/1.1.
// A connection that has not opened a stream and opened less than this
// long ago gets its GOAWAY when its first stream opens (naming that
// stream, which is served in full) or when it reaches this age, not at
// once.
const newConnLastCall = 5 * time.Second

// maxContinuations is how many CONTINUATION frames one header block may
// use: a client sends them at its frame size (16 KiB unless the server
// raised it), so a block within the header limit needs few; the slack
// is for clients that split finer.
func (o *Options) maxContinuations() int { return 16 + o.MaxHeaderBytes/1024 }

// Server serves HTTP/2 connections through one fasthttp.RequestHandler.
// It is safe for concurrent use; ServeConn runs each connection on the
// caller's goroutine.
type Server struct {
	handler fasthttp.RequestHandler
	opts    Options
	fastLog fasthttp.Logger // what a handler's ctx.Logger() writes to
	workers workers

	mu      sync.Mutex
	conns   map[net.Conn]*conn
	closing bool          // Shutdown began: every connection is drained
	cut     bool          // a Shutdown's ctx ended: connections are closed, new ones refused
	gone    chan struct{} // closed when the last connection ends, for Shutdown

	floods  atomic.Uint64
	refused atomic.Uint64
}

// Refused is how many connections were closed unserved for being over
// MaxConnections.
func (s *Server) Refused() uint64 { return s.refused.Load() }

// NewServer returns a Server that answers every stream with h.
func NewServer(h fasthttp.RequestHandler, opts Options) *Server {
	opts.defaults()
	return &Server{handler: h, opts: opts, conns: make(map[net.Conn]*conn), fastLog: fastLogger{opts.Logger}}
}

// Floods is how many connections were ended for a reset or CONTINUATION
// flood.
func (s *Server) Floods() uint64 { return s.floods.Load() }

// ServeConn serves one client connection until it ends. c is a TLS
// connection whose ALPN protocol is "h2" (its handshake is completed
// here if the listener did not), or a plain connection whose client
// speaks HTTP/2 with prior knowledge (h2c); sawPreface tells that the
// caller already read the client preface from c. ServeConn closes c.
func (s *Server) ServeConn(c net.Conn, sawPreface bool) {
	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.SetDeadline(time.Now().Add(s.opts.ReadTimeout))
		if err := tc.Handshake(); err != nil {
			_ = c.Close()
			return
		}
	}
	if serve := s.Take(c, sawPreface); serve != nil {
		serve()
	}
}

// Take claims c at once, counted among the server's connections (a
// Shutdown that begins after Take returns drains it and waits for it),
// and returns what serves it until it ends, closing c, to run on the
// caller's goroutine; nil, with c closed, when c is refused (over
// MaxConnections, or once a Shutdown's deadline passed). c's TLS
// handshake, if it has one, is complete. The TLS listener and the h2c
// sniffer take a connection before it stops counting as theirs, so a
// drain never falls between the two.
func (s *Server) Take(c net.Conn, sawPreface bool) (serve func()) {
	// Whatever deadline the listener or an HTTP/1.1 server left on c
	// goes: the connection keeps its own (preface, idle, per stream).
	_ = c.SetDeadline(time.Time{})
	g := &guardConn{
		Conn:             c,
		maxContinuations: s.opts.maxContinuations(),
		maxResets:        s.opts.MaxResetsPerSecond,
		floods:           &s.floods,
	}
	if !sawPreface {
		g.preface = len(http2.ClientPreface)
	}
	cc := newConn(s, c, g)
	if !s.track(cc) {
		_ = c.Close()
		return nil
	}
	return func() {
		defer c.Close()
		defer s.untrack(c)
		cc.serve(sawPreface)
		if g.err != nil {
			s.opts.Logger.Warn("http2 connection ended for a flood (rapid reset or CONTINUATION)",
				slog.String("client", c.RemoteAddr().String()))
		}
	}
}

// track counts cc among the connections served; false over
// MaxConnections. A connection that comes once Shutdown began (a
// handshake the listener let finish) is served too, drained as those
// already there are: it is new, so it gets the last call.
func (s *Server) track(cc *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cut {
		return false
	}
	if len(s.conns) >= s.opts.MaxConnections {
		s.refused.Add(1)
		return false
	}
	s.conns[cc.nc] = cc
	if s.closing {
		cc.mu.Lock()
		cc.drain()
		cc.mu.Unlock()
	}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if len(s.conns) == 0 && s.gone != nil {
		close(s.gone)
		s.gone = nil
	}
}

// Shutdown drains every connection and waits for them to end until ctx
// is done; then it closes those left. It returns ctx's error when it had
// to close connections.
//
// A connection that has opened a stream, or opened newConnLastCall (5 s)
// ago or more, gets GOAWAY at once: the streams in flight finish, no new
// one starts. A newer one that has not opened a stream yet, whose client
// may have sent its first request just as the drain began, gets a last
// call as it would over HTTP/1.1: its first stream is answered in full,
// with GOAWAY naming it as the last, and the connection closes after it;
// without a stream it gets GOAWAY once newConnLastCall has passed since
// it opened. A connection taken (Take, ServeConn) once Shutdown began (a TLS
// handshake or an h2c sniff the listener let finish) is served the same
// way, within MaxConnections, and waited for if Shutdown still waits.
// Shutdown may be called more than once (one drain per listener).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for _, cc := range s.conns {
		cc.mu.Lock()
		cc.drain()
		cc.mu.Unlock()
	}
	var gone chan struct{}
	if len(s.conns) > 0 {
		if s.gone == nil {
			s.gone = make(chan struct{})
		}
		gone = s.gone
	}
	s.mu.Unlock()
	defer s.workers.close()
	if gone == nil {
		return nil
	}
	select {
	case <-gone:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.cut = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	<-gone
	return ctx.Err()
}

// Open is how many connections the server is serving.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// fastLogger sends what a handler logs through ctx.Logger() to slog at
// debug level, as the HTTP/1.1 server's logger does.
type fastLogger struct{ l *slog.Logger }

func (f fastLogger) Printf(format string, args ...any) {
	f.l.Debug("fasthttp", slog.String("msg", fmt.Sprintf(format, args...)))
}
