package upstream

import (
	"bufio"
	"errors"
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// RequestWriteBuffer is the backend clients' request write buffer and
// ResponseReadBuffer their response read buffer (a HostClient's
// WriteBufferSize and ReadBufferSize). Both are pooled per exchange, not
// held per connection, so a head plus a body up to ~32 KiB moves in one
// system call each way.
const (
	RequestWriteBuffer = 32 << 10
	ResponseReadBuffer = 32 << 10
)

// RoundTrip sends req over one of hc's pooled connections and reads the
// response head into resp. A body of known length up to w.Max is read
// whole (over FreeBody only when w.Budget covers it: see Whole); any other
// body (larger, chunked, or delimited by close) is left as a stream that
// hands the connection back to the pool when the server has written it
// out. This replaces fasthttp's own streaming transport,
// which allocates per response, so the common path allocates nothing.
//
// A connection found dead before any response byte (the keep-alive race:
// the backend closed an idle connection as we reused it) is retried once
// on a new connection when the request body can be replayed. A failure
// while writing the request is always retried (the backend cannot have
// acted on half a request); a failure before the first response byte only
// for requests safe to repeat: a backend that read a whole POST and then
// dropped the connection may have acted on it.
func RoundTrip(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response, now, deadline time.Time, w *Whole) error {
	w.reset()
	// Writing a streamed body consumes it (and takes it off req), so such
	// a request can never be replayed: decide before the first attempt.
	streamed := req.IsBodyStream()
	for attempt := 0; ; attempt++ {
		stale, err := roundTripOnce(hc, req, resp, now, deadline, w)
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

func roundTripOnce(hc *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response, now, deadline time.Time, w *Whole) (stale staleness, err error) {
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
		err = withTLSCause(conn, err)
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
	whole := cl >= 0 && cl <= w.Max
	if whole && cl > FreeBody && w.Budget != nil && !w.Budget.Reserve(int64(cl)) {
		whole, w.Refused = false, true // the budget is spent: stream it
	}
	if whole {
		if cl > FreeBody && w.Budget != nil {
			err = readHeld(resp, br, cl, w)
		} else if cl > 0 {
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

// IsTimeout reports whether err is a timeout: fasthttp's own (a read or
// dial timeout, a request's deadline spent before it was sent) or a
// socket deadline's.
func IsTimeout(err error) bool {
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
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

// readHeld reads a body of cl bytes, which w.Budget has reserved, into a
// buffer of its own that becomes resp's body and w.Held; the reservation
// is given back if the read fails. The buffer is not pooled: the caller
// hands it to the server's response writer, which outlives the request.
func readHeld(resp *fasthttp.Response, br *bufio.Reader, cl int, w *Whole) error {
	buf := make([]byte, cl)
	if _, err := io.ReadFull(br, buf); err != nil {
		w.Budget.Release(int64(cl))
		return err
	}
	resp.SetBodyRaw(buf)
	w.Held = buf
	return nil
}
