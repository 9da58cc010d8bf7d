package route

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these, so
// callers test them with errors.Is.
var (
	// ErrBadPath reports a request path that cannot be normalised safely
	// (encoded slash or backslash, NUL, control bytes, malformed escapes,
	// invalid UTF-8, or no leading slash). The gateway answers 400.
	ErrBadPath = errors.New("route: bad request path")

	// ErrBadPattern reports a route pattern that does not compile.
	ErrBadPattern = errors.New("route: bad pattern")

	// ErrBadTemplate reports a key template that does not compile.
	ErrBadTemplate = errors.New("route: bad key template")

	// ErrBadProxy reports a trusted_proxies entry that is neither an IP
	// address nor a CIDR prefix.
	ErrBadProxy = errors.New("route: bad trusted proxy entry")
)
