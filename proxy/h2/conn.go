package h2

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// conn is one client connection. Its reader (the ServeConn goroutine)
// reads and acts on every frame; each stream's handler runs on a worker
// and frames its answer itself into the shared output, which flushLoop
// writes. Everything below mu is shared between the three.
type conn struct {
	s     *Server
	nc    net.Conn // the client connection: written by flushLoop, closed at the end
	fr    *http2.Framer
	peer  net.Conn // the connection's addresses and TLS state, for every stream
	guard *guardConn

	wake    chan struct{} // flushLoop: there is output
	quit    chan struct{} // flushLoop: write what is left and end
	flushed chan struct{} // flushLoop ended

	mu   sync.Mutex
	cond sync.Cond // room in the output, send windows, the connection's end

	streams map[uint32]*stream
	maxID   uint32 // highest stream the client opened
	open    int    // streams open for the client (MAX_CONCURRENT_STREAMS)
	running int    // handlers running, reset streams' included

	sendWindow     int32  // connection-level: what we may still send
	initialWindow  int32  // the client's SETTINGS_INITIAL_WINDOW_SIZE
	maxFrame       uint32 // the client's SETTINGS_MAX_FRAME_SIZE
	recvWindow     int    // connection-level: what the client may still send
	recvUnacked    int    // body bytes read by handlers, not yet given back
	idleSince      time.Time
	idle           *time.Timer
	opened         time.Time   // when the server took the connection (newConnLastCall)
	lastCall       *time.Timer // draining a new connection: GOAWAY at its first stream or at this
	goingAway      bool        // GOAWAY sent: no new stream
	closed         bool        // the connection is gone: every wait ends, writes are dropped
	closeWhenFlush bool        // close once the output is written (graceful end)

	out  output
	wfr  *http2.Framer // frames into out
	enc  *hpack.Encoder
	hbuf bytes.Buffer // a header block being encoded
	hdr  headerStrings
}

// A Framer's conn-level and stream-level errors, as the reader acts on them.
var (
	errProtocol = http2.ConnectionError(http2.ErrCodeProtocol)
	errFlow     = http2.ConnectionError(http2.ErrCodeFlowControl)
	errCalmConn = http2.ConnectionError(http2.ErrCodeEnhanceYourCalm)
)

// newConn prepares the connection nc, read through g, and frames the
// server's SETTINGS (always its first frames).
func newConn(s *Server, nc net.Conn, g *guardConn) *conn {
	c := &conn{s: s, nc: nc, guard: g, peer: newPeer(nc), opened: time.Now()}
	opts := &s.opts
	c.cond.L = &c.mu
	c.initialWindow = 65535
	c.sendWindow = 65535
	c.maxFrame = 16384
	c.recvWindow = connWindow
	c.streams = make(map[uint32]*stream)
	c.wfr = http2.NewFramer(&c.out, nil)
	c.enc = hpack.NewEncoder(&c.hbuf)
	c.hdr.init()
	c.wake = make(chan struct{}, 1)
	c.quit = make(chan struct{})
	c.flushed = make(chan struct{})
	c.fr = http2.NewFramer(nil, g)
	c.fr.SetMaxReadFrameSize(16384)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.fr.MaxHeaderListSize = uint32(opts.MaxHeaderBytes)
	_ = c.wfr.WriteSettings(
		http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: opts.MaxConcurrentStreams},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: streamWindow},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: uint32(opts.MaxHeaderBytes)},
	)
	_ = c.wfr.WriteWindowUpdate(0, connWindow-65535)
	c.kick()
	return c
}

// serve runs the connection until it ends. c.mu is not held.
func (c *conn) serve(sawPreface bool) {
	go c.flushLoop()
	c.mu.Lock()
	c.idleSince = time.Now()
	c.idle = time.AfterFunc(c.s.opts.IdleTimeout, c.onIdle)
	c.mu.Unlock()
	err := c.readLoop(sawPreface)
	c.end(err)
}

// readLoop reads frames until the connection ends, and returns why.
func (c *conn) readLoop(sawPreface bool) error {
	opts := &c.s.opts
	_ = c.nc.SetReadDeadline(time.Now().Add(opts.ReadTimeout))
	if !sawPreface {
		var p [len(http2.ClientPreface)]byte
		if _, err := io.ReadFull(c.guard, p[:]); err != nil || string(p[:]) != http2.ClientPreface {
			return errProtocol
		}
	}
	if cs, ok := c.nc.(connectionStater); ok && cs.ConnectionState().Version < tls.VersionTLS12 {
		return http2.ConnectionError(http2.ErrCodeInadequateSecurity) // RFC 9113 §9.2
	}
	first := true
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				c.mu.Lock()
				c.resetStream(se.StreamID, se.Code)
				c.mu.Unlock()
				continue
			}
			return err
		}
		if first {
			if _, ok := f.(*http2.SettingsFrame); !ok {
				return errProtocol // the preface's SETTINGS must come first
			}
			first = false
			_ = c.nc.SetReadDeadline(time.Time{}) // from now on the idle timer and the streams' own
		}
		if err := c.frame(f); err != nil {
			return err
		}
	}
}

// frame acts on one frame from the client.
func (c *conn) frame(f http2.Frame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	switch f := f.(type) {
	case *http2.MetaHeadersFrame:
		return c.headers(f)
	case *http2.DataFrame:
		return c.data(f)
	case *http2.RSTStreamFrame:
		if f.StreamID > c.maxID {
			return errProtocol // an idle stream (RFC 9113 §6.4)
		}
		if st := c.streams[f.StreamID]; st != nil {
			c.closeStream(st, true)
		}
	case *http2.SettingsFrame:
		return c.settings(f)
	case *http2.WindowUpdateFrame:
		return c.windowUpdate(f)
	case *http2.PingFrame:
		if !f.IsAck() {
			if !c.room() {
				return net.ErrClosed
			}
			_ = c.wfr.WritePing(true, f.Data)
			c.kick()
		}
	case *http2.GoAwayFrame:
		// The client opens no more streams; those open finish.
		c.goAway(http2.ErrCodeNo)
	case *http2.PushPromiseFrame:
		return errProtocol // clients do not push
	}
	return nil
}

func (c *conn) settings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			// Every open stream's window moves by the difference (RFC 9113 §6.9.2).
			delta := int32(s.Val) - c.initialWindow
			c.initialWindow = int32(s.Val)
			for _, st := range c.streams {
				w := int64(st.sendWindow) + int64(delta)
				if w > 1<<31-1 {
					return errFlow
				}
				st.sendWindow = int32(w)
			}
			c.cond.Broadcast()
		case http2.SettingMaxFrameSize:
			c.maxFrame = s.Val
		case http2.SettingHeaderTableSize:
			c.enc.SetMaxDynamicTableSizeLimit(s.Val)
		}
		return nil
	})
	if err != nil {
		var ce http2.ConnectionError
		if errors.As(err, &ce) {
			return ce
		}
		return errProtocol
	}
	if !c.room() {
		return net.ErrClosed
	}
	_ = c.wfr.WriteSettingsAck()
	c.kick()
	return nil
}

func (c *conn) windowUpdate(f *http2.WindowUpdateFrame) error {
	if f.StreamID == 0 {
		w := int64(c.sendWindow) + int64(f.Increment)
		if w > 1<<31-1 {
			return errFlow
		}
		c.sendWindow = int32(w)
		c.cond.Broadcast()
		return nil
	}
	st := c.streams[f.StreamID]
	if st == nil {
		if f.StreamID > c.maxID {
			return errProtocol
		}
		return nil // a stream already closed
	}
	w := int64(st.sendWindow) + int64(f.Increment)
	if w > 1<<31-1 {
		c.resetStream(st.id, http2.ErrCodeFlowControl)
		return nil
	}
	st.sendWindow = int32(w)
	c.cond.Broadcast()
	return nil
}

// resetStream sends RST_STREAM for id and closes the stream if open.
// c.mu held.
func (c *conn) resetStream(id uint32, code http2.ErrCode) {
	if st := c.streams[id]; st != nil {
		c.closeStream(st, true)
	}
	if c.room() {
		_ = c.wfr.WriteRSTStream(id, code)
		c.kick()
	}
}

// goAway sends GOAWAY (once): no new stream starts; the connection ends
// when the open ones are done. c.mu held.
func (c *conn) goAway(code http2.ErrCode) {
	if c.goingAway {
		return
	}
	c.goingAway = true
	if !c.closed {
		_ = c.wfr.WriteGoAway(c.maxID, code, nil)
		c.kick()
	}
	if c.open == 0 {
		c.closeWhenFlushed()
	}
}

// drain is the server's Shutdown reaching the connection: GOAWAY at
// once, unless the connection is new (opened less than newConnLastCall
// ago, no stream yet), whose client may be sending its first request:
// that one gets a last call, GOAWAY when its first stream opens (the
// stream is served) or when it reaches newConnLastCall without one, as a
// new HTTP/1.1 connection is answered until it counts as idle. c.mu held.
func (c *conn) drain() {
	if c.goingAway || c.lastCall != nil || c.closed {
		return
	}
	if c.maxID == 0 {
		if left := c.s.opts.newConnIdle - time.Since(c.opened); left > 0 {
			c.lastCall = time.AfterFunc(left, c.onLastCall)
			return
		}
	}
	c.goAway(http2.ErrCodeNo)
}

// onLastCall ends a new connection's last call that saw no stream.
func (c *conn) onLastCall() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.goAway(http2.ErrCodeNo)
	}
}

// closeWhenFlushed closes the connection once its output is written.
// c.mu held.
func (c *conn) closeWhenFlushed() {
	c.closeWhenFlush = true
	c.kick()
}

// onIdle ends a connection without open streams for IdleTimeout, with
// GOAWAY; otherwise it looks again when the connection could be.
func (c *conn) onIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	d := c.s.opts.IdleTimeout
	if c.open == 0 {
		if left := d - time.Since(c.idleSince); left > 0 {
			d = left
		} else {
			c.goAway(http2.ErrCodeNo)
			return
		}
	}
	c.idle.Reset(d)
}

// fail marks the connection gone: waits end, frames are dropped. c.mu held.
func (c *conn) fail() {
	if c.closed {
		return
	}
	c.closed = true
	for _, st := range c.streams {
		st.cond.Broadcast()
	}
	c.cond.Broadcast()
}

// end finishes the connection after its reader stopped: a GOAWAY with
// the error's code for a protocol error or a flood, the output written
// within finalFlush, then the connection closed. Handlers still running
// find the connection gone and drop their answers.
func (c *conn) end(err error) {
	var ce http2.ConnectionError
	c.mu.Lock()
	c.idle.Stop()
	if c.lastCall != nil {
		c.lastCall.Stop()
	}
	if errors.As(err, &ce) && !c.closed {
		c.s.opts.Logger.Debug("http2 connection error", slog.String("client", c.nc.RemoteAddr().String()),
			slog.String("code", http2.ErrCode(ce).String()))
		_ = c.wfr.WriteGoAway(c.maxID, http2.ErrCode(ce), nil)
	}
	for _, st := range c.streams {
		c.closeStream(st, true)
	}
	c.mu.Unlock()
	close(c.quit)
	// The flusher may be stuck writing to a client that does not read:
	// closing the connection ends that write.
	t := time.AfterFunc(finalFlush, func() { _ = c.nc.Close() })
	<-c.flushed
	t.Stop()
	c.mu.Lock()
	c.fail()
	c.mu.Unlock()
	_ = c.nc.Close()
}
