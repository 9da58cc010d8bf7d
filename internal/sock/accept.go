package sock

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// Accept backoff bounds: the first wait and the longest.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// RetryAccept reports whether err, from a listener's Accept, is one a
// server waits out rather than stops for — the process or the system out
// of file descriptors or buffers (EMFILE, ENFILE, ENOBUFS, ENOMEM: every
// descriptor busy with connections already served), or a timeout — and
// then waits first: *backoff doubles from 5 ms to at most 1 s (reset it
// to 0 after an Accept succeeds). It returns false at once for any other
// error, and false when done closes during the wait.
//
// Without it a descriptor shortage would end the listener for good: the
// HTTP server stops on an accept error it does not know as temporary, and
// the gateway with it, although the shortage ends as soon as connections
// close.
func RetryAccept(err error, backoff *time.Duration, done <-chan struct{}) bool {
	var ne net.Error
	if !errors.Is(err, syscall.EMFILE) && !errors.Is(err, syscall.ENFILE) && !errors.Is(err, syscall.ENOBUFS) &&
		!errors.Is(err, syscall.ENOMEM) && (!errors.As(err, &ne) || !ne.Timeout()) {
		return false
	}
	*backoff = min(max(2**backoff, acceptBackoffMin), acceptBackoffMax)
	t := time.NewTimer(*backoff)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}
