package sock

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/premier-gateway/premier/internal/watchdog"
)

// Socket reads and writes a connection's non-blocking socket with raw
// system calls inside Go's poller callbacks (syscall.RawConn). It is a
// value to embed in a connection type, which calls Read and Write
// directly when RawIO is true and its own net.Conn's otherwise.
//
// Go's own socket read and write enter the scheduler's system-call state
// around the call. Besides its cost, a P seen in that state across two
// ticks of the runtime's monitor is handed to another thread — on a busy
// proxy, whose loopback writes carry the receiver's TCP processing, that
// happens hundreds of times a second and each costs thread wake-ups and
// context switches. A non-blocking socket's read or write never blocks, so
// the raw call is the plain system call and nothing else; waiting, when
// the socket has nothing or is full, is still the poller's, with the
// connection's deadlines.
type Socket struct {
	rc    syscall.RawConn
	conn  net.Conn // for the addresses of an error
	rstep func(uintptr) bool
	wstep func(uintptr) bool

	rmu  sync.Mutex // one read at a time (net.Conn allows concurrent calls)
	rp   []byte     // the read in progress
	rn   int
	rerr syscall.Errno
	wmu  sync.Mutex // one write at a time
	wp   []byte     // the write in progress
	wn   int
	werr syscall.Errno
}

// Init binds s to c's raw socket rc; call it once, before any Read or
// Write.
func (s *Socket) Init(rc syscall.RawConn, c net.Conn) {
	s.rc, s.conn = rc, c
	s.rstep, s.wstep = s.readStep, s.writeStep
}

// Read is net.Conn's Read.
func (s *Socket) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rmu.Lock()
	s.rp, s.rn, s.rerr = p, 0, 0
	err := s.rc.Read(s.rstep)
	n, errno := s.rn, s.rerr
	s.rp = nil
	s.rmu.Unlock()
	switch {
	case err != nil: // the wait's: deadline, closed
		return 0, err
	case errno != 0:
		return 0, s.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (s *Socket) readStep(fd uintptr) bool {
	for {
		n, errno := rawRead(fd, s.rp)
		switch errno {
		case 0:
			s.rn = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait until readable
		}
		s.rerr = errno
		return true
	}
}

// Write is net.Conn's Write.
func (s *Socket) Write(p []byte) (int, error) {
	s.wmu.Lock()
	s.wp, s.wn, s.werr = p, 0, 0
	err := s.rc.Write(s.wstep)
	n, errno := s.wn, s.werr
	s.wp = nil
	s.wmu.Unlock()
	switch {
	case err != nil:
		return n, err
	case errno != 0:
		return n, s.opError("write", errno)
	}
	return n, nil
}

func (s *Socket) writeStep(fd uintptr) bool {
	n, errno := writeNow(fd, s.wp[s.wn:])
	s.wn += n
	switch errno {
	case 0:
		return true
	case syscall.EAGAIN:
		return false // wait until writable
	}
	s.werr = errno
	return true
}

// writeNow writes as much of p as the socket takes now: all of it (errno
// 0), up to a full socket buffer (EAGAIN) or an error.
func writeNow(fd uintptr, p []byte) (int, syscall.Errno) {
	done := 0
	for done < len(p) {
		n, errno := rawWrite(fd, p[done:])
		switch errno {
		case 0:
			done += n
		case syscall.EINTR:
		default:
			return done, errno
		}
	}
	return done, 0
}

// opError wraps errno as Go's own socket calls do.
func (s *Socket) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Source: s.conn.LocalAddr(), Addr: s.conn.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}

// RawConnOf returns the raw socket of a watched connection, or nil for one
// that is not a socket (in-memory test connections).
func RawConnOf(c *watchdog.Conn) syscall.RawConn {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}
