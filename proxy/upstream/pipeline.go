package upstream

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/lb"
)

// pipelineMaxBody bounds a pipelined response body: a pipelined connection
// reads each response whole before the next, so bodies are buffered.
const pipelineMaxBody = 8 << 20

// pipelineDepth is how many requests may wait on one pipelined connection.
const pipelineDepth = 1024

var (
	errPipeBroken = errors.New("pipelined backend connection failed before this response")
	errPipeFull   = errors.New("pipelined backend connection queue full")
	errPipeClosed = errors.New("pipelined transport closed")
	errPipeDesync = errors.New("pipelined backend response framing is off: bytes before their request was written or after a complete response")
)

// Pipelinable reports whether req may share a pipelined backend connection:
// a GET without a body (idempotent, so a response lost with its connection
// can be asked for again). HEAD never pipelines: its answer's length is
// whatever the backend says it is, and a backend that sends the body
// anyway would have it read as the next request's answer.
func Pipelinable(req *fasthttp.Request) bool {
	h := &req.Header
	return h.IsGet() && !req.IsBodyStream() && len(req.Body()) == 0 && h.ContentLength() <= 0
}

// PipeTransport sends one backend's requests pipelined over a fixed number
// of connections: each request is written behind the ones before it
// without waiting for their responses, and one reader per connection
// hands the responses back in order. Writers that queue up behind each
// other share one flush, so a burst of requests costs the backend one
// read and the gateway one write.
type PipeTransport struct {
	conns []*pipeConn
	next  atomic.Uint32
}

// NewPipeTransport returns b's pipelined transport over n connections,
// each opened with dial (the backend client's: Dial, or DialTLS for an
// https backend, in the gateway) when first needed and again after it
// dies; timeout (the backend timeout) bounds each dial, read and write.
// A dial that returns a plain connection to an https backend gets a TLS
// client over it with the backend's TLS configuration.
func NewPipeTransport(b *lb.Backend, n int, timeout time.Duration, dial fasthttp.DialFuncWithTimeout) *PipeTransport {
	t := &PipeTransport{conns: make([]*pipeConn, n)}
	for i := range t.conns {
		t.conns[i] = &pipeConn{dialer: dial, target: b.Target, tls: b.Client.TLSConfig, timeout: timeout}
	}
	return t
}

// Close implements lb.Pipeliner: it closes every connection and stops
// their readers; requests in flight fail over to the ordinary pool.
func (t *PipeTransport) Close() {
	for _, c := range t.conns {
		c.close()
	}
}

// RoundTrip sends req and reads the response into resp. A request the
// pipeline could not carry for a reason other than a timeout (connection
// died or closed by the backend, its framing found off, queue full,
// transport closed) is sent once more over b's ordinary keep-alive pool:
// it is a GET, and no byte of an answer was handed to it.
func (t *PipeTransport) RoundTrip(b *lb.Backend, req *fasthttp.Request, resp *fasthttp.Response, now, deadline time.Time, w *Whole) error {
	w.reset()
	c := t.conns[int(t.next.Add(1))%len(t.conns)]
	err := c.do(req, resp, now, deadline)
	if err == nil {
		w.holdPipelined(resp)
	}
	if err == nil || IsTimeout(err) || errors.Is(err, fasthttp.ErrBodyTooLarge) {
		return err
	}
	return RoundTrip(b.Client, req, resp, time.Now(), deadline, w)
}

// pipeConn is one pipelined connection slot; it redials when its link dies.
type pipeConn struct {
	dialer  fasthttp.DialFuncWithTimeout
	tls     *tls.Config // an https backend's, for a dial that is not TLS
	target  lb.Target
	timeout time.Duration // backend timeout: per read and write

	waiting atomic.Int32 // writers queued on mu
	mu      sync.Mutex   // serialises writers, dials and close
	link    *pipeLink
	closed  bool
}

// pipeLink is one TCP connection's life in a pipeConn.
//
// Its framing is checked by counting: started is how many requests have
// begun to be written (raised before the first byte goes out), answered
// how many responses the reader has read. The backend cannot answer
// request n before started reaches n, so bytes read while started <
// answered+1 (see pipeSource), or left after response n when the read
// that brought them saw started < n+1, are a response nobody asked for:
// handing them on would give every later request the answer of the one
// before it.
type pipeLink struct {
	conn     net.Conn
	src      pipeSource
	bw       *bufio.Writer
	br       *bufio.Reader
	queue    chan *pipeCall // written, awaiting their responses, in order
	dead     atomic.Bool    // set under pipeConn.mu: no more writes
	done     chan struct{}  // closed when the reader has stopped
	started  atomic.Uint64  // requests whose writing has begun (under pipeConn.mu)
	answered atomic.Uint64  // responses read (by the reader)

	// The reader waits on the socket, with no deadline, while every
	// request begun has its answer (see next); a writer that begins one
	// then bounds that wait. idleMu orders the two.
	idleMu   sync.Mutex
	idleWait atomic.Bool
}

// pipeSource is a link's socket as its reader sees it: every read that
// brings bytes records how many requests had begun by then, and one that
// brings bytes before the request they would answer has begun fails.
type pipeSource struct {
	l     *pipeLink
	want  uint64 // the request whose response is being read (1-based)
	seen  uint64 // started, as of the last read that brought bytes
	early bool   // a read brought bytes before want had begun
}

// Read fails a read that brings bytes too early, dropping them, so they
// are never buffered and never parsed (fasthttp reports any error on a
// response's first byte as io.EOF: early says which it was).
func (s *pipeSource) Read(p []byte) (int, error) {
	n, err := s.l.conn.Read(p)
	if n > 0 {
		if s.seen = s.l.started.Load(); s.seen < s.want {
			s.early = true
			return 0, errPipeDesync
		}
	}
	return n, err
}

// pipeCall is one request waiting for its response.
type pipeCall struct {
	resp     *fasthttp.Response
	deadline time.Time
	err      error
	done     chan struct{}
}

var callPool = sync.Pool{New: func() any { return &pipeCall{done: make(chan struct{}, 1)} }}

func (c *pipeConn) do(req *fasthttp.Request, resp *fasthttp.Response, now, deadline time.Time) error {
	call := callPool.Get().(*pipeCall)
	call.resp, call.deadline = resp, deadline
	err := c.send(req, call, now)
	if err == nil {
		<-call.done
		err = call.err
	}
	*call = pipeCall{done: call.done}
	callPool.Put(call)
	return err
}

// send writes req on the live link (dialling one if needed) and queues
// call for the link's reader. A nil error means call.done will be signalled.
func (c *pipeConn) send(req *fasthttp.Request, call *pipeCall, now time.Time) error {
	c.waiting.Add(1)
	c.mu.Lock()
	c.waiting.Add(-1)
	defer c.mu.Unlock()
	if c.closed {
		return errPipeClosed
	}
	l := c.link
	if l == nil || l.dead.Load() {
		var err error
		if l, err = c.dial(); err != nil {
			return err
		}
		c.link = l
	}
	select {
	case l.queue <- call:
	default:
		_ = l.bw.Flush() // others' requests may be waiting for a flush
		return errPipeFull
	}
	// From here the reader owns call: a failed write fails the link, and
	// the reader answers every queued call.
	l.started.Add(1) // before any byte of req can reach the backend
	if l.idleWait.Load() {
		l.idleMu.Lock()
		if l.idleWait.Load() {
			_ = l.conn.SetReadDeadline(c.readDeadline(call))
		}
		l.idleMu.Unlock()
	}
	_ = l.conn.SetWriteDeadline(now.Add(c.timeout))
	err := req.Write(l.bw)
	if err == nil && c.waiting.Load() == 0 {
		err = l.bw.Flush() // the last writer of a burst flushes for all
	}
	if err != nil {
		l.dead.Store(true)
		_ = l.conn.Close()
	}
	return nil
}

func (c *pipeConn) dial() (*pipeLink, error) {
	conn, err := c.dialer(c.target.Addr, c.timeout)
	if err != nil {
		return nil, err
	}
	if _, isTLS := conn.(interface{ Handshake() error }); c.target.TLS && !isTLS {
		conn = tls.Client(conn, c.tls)
	}
	l := &pipeLink{
		conn:  conn,
		bw:    bufio.NewWriterSize(conn, 8<<10),
		queue: make(chan *pipeCall, pipelineDepth),
		done:  make(chan struct{}),
	}
	l.src.l = l
	l.br = bufio.NewReaderSize(&l.src, 8<<10)
	go c.read(l)
	return l, nil
}

// read hands responses back in order until the link fails, the backend
// closes it, or the transport closes. A response with bytes after it that
// no request begun by then could have asked for is not handed back (its
// own framing is what is off), nor is anything after bytes that came
// before their request began: the link fails, and every call on it goes
// to the pool (RoundTrip).
func (c *pipeConn) read(l *pipeLink) {
	defer close(l.done)
	for {
		call, err := c.next(l)
		if call == nil {
			return
		}
		call.resp.Reset()
		n := l.answered.Load() + 1
		if err == nil {
			_ = l.conn.SetReadDeadline(c.readDeadline(call))
			l.src.want = n
			err = call.resp.ReadLimitBody(l.br, pipelineMaxBody)
		}
		if code := call.resp.StatusCode(); err == nil && (code == fasthttp.StatusSwitchingProtocols || code > 599) {
			err = errBadStatus // as on the pooled transport: never a final answer
		}
		if l.src.early || err == nil && l.br.Buffered() > 0 && l.src.seen <= n {
			err = errPipeDesync
			call.resp.Reset()
		}
		closing := err == nil && call.resp.ConnectionClose()
		l.answered.Store(n)
		call.err = err
		call.done <- struct{}{}
		if err != nil || closing {
			c.fail(l)
			return
		}
	}
}

// next returns the link's next call (nil when the reader is to stop), and
// the timeout its response already met, if any. With none queued it waits
// on the socket rather than on the queue, so bytes that arrive while every
// request begun has its answer are seen as they arrive, before a request
// that could claim them begins: they fail the link, as does the backend
// closing it while idle (the next request then dials a new one instead of
// being written into a dead one).
func (c *pipeConn) next(l *pipeLink) (*pipeCall, error) {
	select {
	case call, ok := <-l.queue:
		if !ok {
			return nil, nil
		}
		return call, nil
	default:
	}
	l.idleMu.Lock()
	l.idleWait.Store(true)
	_ = l.conn.SetReadDeadline(time.Time{})
	l.idleMu.Unlock()
	// A writer raises started and then looks at idleWait; the reader set
	// idleWait and now looks at started: one of them sees the other, so
	// either the wait below is bounded or the request is not waited for.
	var err error
	answered := l.answered.Load()
	if l.started.Load() == answered {
		l.src.want = answered + 1
		if _, err = l.br.Peek(1); err != nil && (l.src.early || !IsTimeout(err)) {
			c.fail(l)
			return nil, nil
		}
	}
	l.idleMu.Lock()
	l.idleWait.Store(false)
	l.idleMu.Unlock()
	// A request has begun (so it is queued): bytes for it came, or its
	// deadline passed.
	call, ok := <-l.queue
	if !ok {
		return nil, nil
	}
	return call, err
}

func (c *pipeConn) readDeadline(call *pipeCall) time.Time {
	d := time.Now().Add(c.timeout)
	if !call.deadline.IsZero() && call.deadline.Before(d) {
		d = call.deadline
	}
	return d
}

// fail ends a link: no more writes, the connection closed, every call
// still queued answered with errPipeBroken.
func (c *pipeConn) fail(l *pipeLink) {
	_ = l.conn.Close() // unblocks a writer stuck on the socket
	c.mu.Lock()
	l.dead.Store(true)
	c.mu.Unlock()
	for {
		select {
		case call, ok := <-l.queue:
			if !ok {
				return
			}
			call.err = errPipeBroken
			call.done <- struct{}{}
		default:
			return
		}
	}
}

func (c *pipeConn) close() {
	c.mu.Lock()
	c.closed = true
	l := c.link
	if l != nil {
		l.dead.Store(true)
		close(l.queue) // no writer can queue any more: closed is set
	}
	c.mu.Unlock()
	if l != nil {
		_ = l.conn.Close()
		<-l.done
	}
}
