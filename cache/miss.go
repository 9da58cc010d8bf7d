package cache

// Fwd says why a request missed: the `fwd` parameter of the miss's
// Cache-Status header (RFC 9211). Its String is that token.
type Fwd uint8

// Why a request missed.
const (
	// FwdUnknown is the zero value: no miss was reported (Done on a nil or
	// finished Fill).
	FwdUnknown  Fwd = iota
	FwdURIMiss      // no entry for the key
	FwdVaryMiss     // entries exist, none for these Vary values
	FwdStale        // the entry is past its freshness lifetime
	FwdRequest      // the request said no-cache or max-age=0 (with HonorClientNoCache)
	numFwd
)

var fwdNames = [numFwd]string{
	FwdUnknown:  "unknown",
	FwdURIMiss:  "uri-miss",
	FwdVaryMiss: "vary-miss",
	FwdStale:    "stale",
	FwdRequest:  "request",
}

// String returns the Cache-Status `fwd` token, e.g. "uri-miss"; "unknown"
// for FwdUnknown and for values out of range.
func (f Fwd) String() string {
	if f < numFwd {
		return fwdNames[f]
	}
	return "unknown"
}

// MissResult is what became of one miss: why the request missed and what
// the cache did with the backend's response. Fill.Done returns it and
// writes the same in the response's Cache-Status header, so the gateway
// counts misses from the value, not by parsing the header back.
type MissResult struct {
	Fwd Fwd // why the request missed; FwdUnknown in the zero value
	// Reason says why the response was not stored. Its zero value means it
	// was stored (Reason(0).String() is "stored").
	Reason Reason
	// Reval is what became of a stored stale response: revalidated (304),
	// replaced, served on an error; RevalNone when there was none.
	Reval Reval
}

// Stored reports whether the response was stored.
func (m MissResult) Stored() bool { return m.Fwd != FwdUnknown && m.Reason == stored }
