package resilience

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrRetriesExhausted is returned by Retry after the last attempt
	// failed; the error also wraps that attempt's error.
	ErrRetriesExhausted = errors.New("resilience: retries exhausted")
	// ErrTimeout is returned by Timeout when the function did not finish in
	// time; the error also wraps context.DeadlineExceeded.
	ErrTimeout = errors.New("resilience: timed out")
	// ErrOpen is returned by a Breaker that lets no call through.
	ErrOpen = errors.New("resilience: circuit breaker open")
)

// Kind is the class of a failure, matching the seed's exception names:
// "Exception" matches every kind, "ConnectionError" [KindConnection] and
// "TimeoutError" [KindTimeout].
type Kind uint8

const (
	// KindOther is any other failure: a 5xx answer, an application error.
	KindOther Kind = iota
	// KindConnection is a failure to connect, or a connection reset or
	// closed before the answer.
	KindConnection
	// KindTimeout is a deadline that passed.
	KindTimeout
)

// String returns the seed's exception name of the kind.
func (k Kind) String() string {
	switch k {
	case KindConnection:
		return "ConnectionError"
	case KindTimeout:
		return "TimeoutError"
	}
	return "Exception"
}

// Classify returns the kind of err: timeouts (ErrTimeout,
// context.DeadlineExceeded, any net.Error whose Timeout is true), connection
// errors (*net.OpError, *net.DNSError, refused, reset, broken pipe,
// unexpected EOF, closed connection) or KindOther.
func Classify(err error) Kind {
	var ne net.Error
	switch {
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	}
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &op), errors.As(err, &dns),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return KindConnection
	}
	return KindOther
}

// matchKind reports whether the seed exception name covers k.
func matchKind(name string, k Kind) bool {
	switch name {
	case "Exception", "":
		return true
	case "ConnectionError":
		return k == KindConnection
	case "TimeoutError":
		return k == KindTimeout
	}
	return false
}

// permanent marks an error that Retry must not retry.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that Retry returns it at once, without retrying.
// errors.Is and errors.As still see err.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}
