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
}

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
	closing bool
	wg      sync.WaitGroup

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
	defer c.Close()
	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.SetDeadline(time.Now().Add(s.opts.ReadTimeout))
		if err := tc.Handshake(); err != nil {
			return
		}
	}
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
		return
	}
	defer s.untrack(c)
	cc.serve(sawPreface)
	if g.err != nil {
		s.opts.Logger.Warn("http2 connection ended for a flood (rapid reset or CONTINUATION)",
			slog.String("client", c.RemoteAddr().String()))
	}
}

func (s *Server) track(cc *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	if len(s.conns) >= s.opts.MaxConnections {
		s.refused.Add(1)
		return false
	}
	s.conns[cc.nc] = cc
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// Shutdown sends GOAWAY on every connection (streams in flight finish,
// no new one starts) and waits for the connections to end until ctx is
// done; then it closes those left. New connections are refused from the
// start. It returns ctx's error when it had to close connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for _, cc := range s.conns {
		cc.mu.Lock()
		cc.goAway(http2.ErrCodeNo)
		cc.mu.Unlock()
	}
	s.mu.Unlock()
	defer s.workers.close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	<-done
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
