package upstream

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

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
	keep      bool // KeepOpen: the next Close does nothing
}

// KeepOpen makes the next Close do nothing: the response compression
// takes the stream out of its response (fasthttp closes a dropped stream)
// and closes it itself once the encoded body is written.
func (s *bodyStream[C]) KeepOpen() { s.keep = true }

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
	if s.keep {
		s.keep = false
		return nil
	}
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
