package proxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// roundTrip sends req over one of hc's pooled connections and reads the
// response head into resp. A body of known length up to wholeMax is read
// whole; any other body (larger, chunked, or delimited by close) is left
// as a stream that hands the connection back to the pool when the server
// has written it out. This replaces fasthttp's own streaming transport,
// which allocates per response, so the common path allocates nothing.
//
// A connection found dead before any response byte (the keep-alive race:
// the backend closed an idle connection as we reused it) is retried once
// on a new connection when the request body can be replayed. A failure
// while writing the request is always retried (the backend cannot have
// acted on half a request); a failure before the first response byte only
// for requests safe to repeat: a backend that read a whole POST and then
// dropped the connection may have acted on it.
func roundTrip(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response, now, deadline time.Time, wholeMax int) error {
	// Writing a streamed body consumes it (and takes it off req), so such
	// a request can never be replayed: decide before the first attempt.
	streamed := req.IsBodyStream()
	for attempt := 0; ; attempt++ {
		stale, err := roundTripOnce(hc, req, resp, now, deadline, wholeMax)
		if err == nil || stale == notStale || attempt > 0 || streamed ||
			(stale == staleAfterWrite && !repeatable(req)) {
			if stale == staleWrite {
				err = unsentError{err}
			}
			return err
		}
		now = time.Now()
	}
}

// unsentError is a failure before the request could reach the backend
// whole: whatever the method, another backend may be tried.
type unsentError struct{ err error }

func (e unsentError) Error() string { return e.err.Error() }
func (e unsentError) Unwrap() error { return e.err }

// notSent reports whether err left the request unsent: the connection was
// refused or never made (including our own full pool), or the request
// could not be written.
func notSent(err error) bool {
	var u unsentError
	var op *net.OpError
	return errors.As(err, &u) || errors.Is(err, fasthttp.ErrNoFreeConns) ||
		errors.Is(err, fasthttp.ErrDialTimeout) || (errors.As(err, &op) && op.Op == "dial")
}

// staleness says whether a failed exchange may be sent again on a new
// connection.
type staleness uint8

const (
	notStale        staleness = iota
	staleWrite                // the request could not be written whole
	staleAfterWrite           // written, then the connection died before any answer
)

// repeatable reports whether req may be sent twice: an idempotent method
// (RFC 9110 §9.2.2) or an Idempotency-Key header.
func repeatable(req *fasthttp.Request) bool {
	h := &req.Header
	return h.IsGet() || h.IsHead() || h.IsOptions() || h.IsTrace() || h.IsPut() || h.IsDelete() ||
		len(h.Peek("Idempotency-Key")) > 0
}

func roundTripOnce(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response, now, deadline time.Time, wholeMax int) (stale staleness, err error) {
	resp.Reset()
	var wait time.Duration
	if !deadline.IsZero() {
		if wait = deadline.Sub(now); wait <= 0 {
			return notStale, fasthttp.ErrTimeout
		}
		// The attempt's own bound (backend_timeout) caps connecting too,
		// so a black-holed backend leaves time to retry another.
		if hc.ReadTimeout > 0 && hc.ReadTimeout < wait {
			wait = hc.ReadTimeout
		}
	}
	cc, err := hc.AcquireConn(wait, false)
	// Drop pooled connections the backend wrote to or closed while idle.
	// Bounded: a backend that talks first on every new connection gets
	// its answer read as garbage and a 502.
	for tries := 0; err == nil && tries < 8 && idleConnBroken(cc.Conn()); tries++ {
		hc.CloseConn(cc)
		cc, err = hc.AcquireConn(wait, false)
	}
	if err != nil {
		return notStale, err
	}
	conn := cc.Conn()
	if err = conn.SetWriteDeadline(earliest(deadline, now, hc.WriteTimeout)); err != nil {
		hc.CloseConn(cc)
		return staleWrite, err
	}
	if err = conn.SetReadDeadline(earliest(deadline, now, hc.ReadTimeout)); err != nil {
		hc.CloseConn(cc)
		return staleWrite, err
	}
	bw := hc.AcquireWriter(conn)
	var waitErr error
	if bc, ok := conn.(*backendConn); ok {
		err, waitErr = bc.writeAndAwait(req, bw)
	} else if err = req.Write(bw); err == nil {
		err = bw.Flush()
	}
	hc.ReleaseWriter(bw)
	if err != nil {
		hc.CloseConn(cc)
		return staleWrite, err
	}
	if waitErr != nil {
		hc.CloseConn(cc)
		return notStale, waitErr
	}
	br := hc.AcquireReader(conn)
	if err = readHead(resp, br); err != nil {
		hc.ReleaseReader(br)
		hc.CloseConn(cc)
		if isStale(err) {
			return staleAfterWrite, err
		}
		return notStale, err
	}
	status := resp.StatusCode()
	if status == fasthttp.StatusSwitchingProtocols || status > 599 {
		// Forwarded requests never ask to upgrade: a 101 here (or a status
		// outside 1xx–5xx) would switch the client's connection to
		// whatever follows.
		hc.ReleaseReader(br)
		hc.CloseConn(cc)
		return notStale, errBadStatus
	}
	closeConn := resp.ConnectionClose()
	cl := resp.Header.ContentLength()
	if req.Header.IsHead() || status == fasthttp.StatusNoContent || status == fasthttp.StatusNotModified || status < 200 {
		resp.SkipBody = true
		cl = 0
	}
	if cl >= 0 && cl <= wholeMax {
		if cl > 0 {
			err = resp.ReadBody(br, 0)
		}
		// Bytes after the response (we never pipeline) mean the backend's
		// framing is off: reusing the connection would hand them to the
		// next request as its answer.
		extra := br.Buffered() > 0
		hc.ReleaseReader(br)
		if err != nil || closeConn || extra {
			hc.CloseConn(cc)
		} else {
			hc.ReleaseConn(cc)
		}
		return notStale, err
	}
	s := newBodyStream(hc, cc, (*fasthttp.HostClient).ReleaseConn, (*fasthttp.HostClient).CloseConn, br, cl, deadline)
	if cl < 0 {
		resp.SetBodyStream(s, -1)
	} else {
		resp.SetBodyStream(s, cl)
	}
	return notStale, nil
}

// readHead reads the status line and headers, skipping interim 1xx
// responses (but not 101).
func readHead(resp *fasthttp.Response, br *bufio.Reader) error {
	for n := 0; ; n++ {
		if err := resp.Header.Read(br); err != nil {
			return err
		}
		code := resp.StatusCode()
		if code >= 200 || code == fasthttp.StatusSwitchingProtocols {
			return nil
		}
		if n >= 10 {
			return errTooManyInterim
		}
	}
}

var (
	errTooManyInterim = errors.New("backend sent too many interim responses")
	errBadStatus      = errors.New("backend sent an unsolicited 101 or an invalid status")
)

// isStale reports whether err means the connection died before the backend
// answered anything, so the request never reached it.
func isStale(err error) bool {
	var nothing fasthttp.ErrNothingRead
	return errors.Is(err, io.EOF) || errors.As(err, &nothing) || errors.Is(err, net.ErrClosed)
}

func earliest(deadline, now time.Time, timeout time.Duration) time.Time {
	if timeout <= 0 {
		return deadline
	}
	t := now.Add(timeout)
	if deadline.IsZero() || t.Before(deadline) {
		return t
	}
	return deadline
}

// bodyStream is a streamed backend response body: fixed length, chunked,
// or until close. Closing it returns the connection to the pool when the
// body was read to its end, and closes the connection otherwise.
//
// C is fasthttp's pooled connection type, which is unexported: it is
// inferred from AcquireConn's result, and release/closeConn are the
// HostClient's method expressions for it.
type bodyStream[C connLike] struct {
	hc        *fasthttp.HostClient
	cc        C
	release   func(*fasthttp.HostClient, C)
	closeConn func(*fasthttp.HostClient, C)
	br        *bufio.Reader
	remaining int  // bytes left: fixed length, or of the current chunk
	chunked   bool // Transfer-Encoding: chunked
	untilEOF  bool // delimited by the connection closing
	done      bool // read to the end
	failed    bool
	deadline  time.Time
	refreshed time.Time
}

// connLike is what the stream needs of fasthttp's pooled connection.
type connLike interface{ Conn() net.Conn }

// streamPool holds *bodyStream[C] for fasthttp's connection type C.
var streamPool sync.Pool

func newBodyStream[C connLike](hc *fasthttp.HostClient, cc C, release, closeConn func(*fasthttp.HostClient, C),
	br *bufio.Reader, cl int, deadline time.Time) *bodyStream[C] {
	s, ok := streamPool.Get().(*bodyStream[C])
	if !ok {
		s = new(bodyStream[C])
	}
	*s = bodyStream[C]{hc: hc, cc: cc, release: release, closeConn: closeConn, br: br, deadline: deadline, refreshed: time.Now()}
	switch cl {
	case -1:
		s.chunked = true
		s.remaining = -1 // chunk size not read yet
	case -2:
		s.untilEOF = true
	default:
		s.remaining = cl
	}
	return s
}

func (s *bodyStream[C]) Read(p []byte) (int, error) {
	if s.done {
		return 0, io.EOF
	}
	if s.failed || s.br == nil {
		return 0, io.ErrUnexpectedEOF
	}
	s.refreshDeadline()
	if s.chunked {
		return s.readChunked(p)
	}
	if s.untilEOF {
		n, err := s.br.Read(p)
		if err == io.EOF {
			s.done = true
		} else if err != nil {
			s.failed = true
		}
		return n, err
	}
	if s.remaining == 0 {
		s.done = true
		return 0, io.EOF
	}
	n, err := s.readRemaining(p)
	if err == nil && s.remaining == 0 {
		s.done = true
	}
	return n, err
}

// readRemaining reads at most the s.remaining bytes left of a fixed-length
// body or of the current chunk; the body ending early is an error.
func (s *bodyStream[C]) readRemaining(p []byte) (int, error) {
	if len(p) > s.remaining {
		p = p[:s.remaining]
	}
	n, err := s.br.Read(p)
	s.remaining -= n
	if err != nil {
		s.failed = true
		return n, io.ErrUnexpectedEOF
	}
	return n, nil
}

// refreshDeadline keeps an idle timeout, not a total one, on long bodies
// when the request has no overall deadline (at most once a second).
func (s *bodyStream[C]) refreshDeadline() {
	if !s.deadline.IsZero() || s.hc.ReadTimeout <= 0 {
		return
	}
	if now := time.Now(); now.Sub(s.refreshed) > time.Second {
		s.refreshed = now
		_ = s.cc.Conn().SetReadDeadline(now.Add(s.hc.ReadTimeout))
	}
}

func (s *bodyStream[C]) readChunked(p []byte) (int, error) {
	if s.remaining <= 0 {
		if s.remaining == 0 { // end of a chunk's data: its CRLF
			if err := s.expectCRLF(); err != nil {
				return 0, err
			}
		}
		size, err := s.readChunkSize()
		if err != nil {
			return 0, err
		}
		if size == 0 {
			if err := s.skipTrailers(); err != nil {
				return 0, err
			}
			s.done = true
			return 0, io.EOF
		}
		s.remaining = size
	}
	return s.readRemaining(p)
}

var errBadChunk = errors.New("malformed chunked body from backend")

func (s *bodyStream[C]) readChunkSize() (int, error) {
	line, err := s.readLine()
	if err != nil {
		return 0, err
	}
	size, digits := 0, 0
	for _, c := range line {
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'a' && c <= 'f':
			v = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = int(c-'A') + 10
		case c == ';' || c == ' ' || c == '\t': // chunk extensions follow
			if digits == 0 {
				return 0, s.fail(errBadChunk)
			}
			return size, nil
		default:
			return 0, s.fail(errBadChunk)
		}
		if digits++; digits > 15 {
			return 0, s.fail(errBadChunk)
		}
		size = size<<4 | v
	}
	if digits == 0 {
		return 0, s.fail(errBadChunk)
	}
	return size, nil
}

func (s *bodyStream[C]) expectCRLF() error {
	line, err := s.readLine()
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return s.fail(errBadChunk)
	}
	return nil
}

func (s *bodyStream[C]) skipTrailers() error {
	for i := 0; i < 64; i++ {
		line, err := s.readLine()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
	}
	return s.fail(errBadChunk)
}

// readLine reads one CRLF-terminated line (without it) of at most 4 KiB.
func (s *bodyStream[C]) readLine() ([]byte, error) {
	line, err := s.br.ReadSlice('\n')
	if err != nil {
		return nil, s.fail(io.ErrUnexpectedEOF)
	}
	n := len(line) - 1
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return line[:n], nil
}

func (s *bodyStream[C]) fail(err error) error {
	s.failed = true
	return err
}

// Close hands the connection back: to the pool when the body was read to
// its end, closed otherwise (the rest of an unread body is never drained).
func (s *bodyStream[C]) Close() error {
	if s.br == nil {
		return nil
	}
	extra := s.br.Buffered() > 0 // bytes after the body: framing is off
	s.hc.ReleaseReader(s.br)
	if s.done && !s.untilEOF && !s.failed && !extra {
		s.release(s.hc, s.cc)
	} else {
		s.closeConn(s.hc, s.cc)
	}
	*s = bodyStream[C]{}
	streamPool.Put(s)
	return nil
}
