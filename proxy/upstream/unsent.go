package upstream

import (
	"errors"
	"net"

	"github.com/valyala/fasthttp"
)

// unsentError is a failure before the request could reach the backend
// whole: whatever the method, another backend may be tried.
type unsentError struct{ err error }

func (e unsentError) Error() string { return e.err.Error() }
func (e unsentError) Unwrap() error { return e.err }

// Unsent marks err, a failure to send a request (or an upgrade's head)
// whole, as one the backend cannot have acted on: NotSent reports it.
func Unsent(err error) error { return unsentError{err} }

// NotSent reports whether err left the request unsent: the connection was
// refused or never made (including our own full pool), or the request
// could not be written.
func NotSent(err error) bool {
	var u unsentError
	var op *net.OpError
	return errors.As(err, &u) || errors.Is(err, fasthttp.ErrNoFreeConns) ||
		errors.Is(err, fasthttp.ErrDialTimeout) || (errors.As(err, &op) && op.Op == "dial")
}
