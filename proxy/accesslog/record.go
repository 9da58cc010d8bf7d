package accesslog

import (
	"net/netip"
	"time"
)

// Field names a text field of a Record.
type Field uint8

// The text fields, in the order they are best set (a record's text space
// is shared; values that do not fit are cut).
const (
	RequestID Field = iota
	ClientIP
	Method
	Proto
	Host
	Path
	Query // without the leading '?'
	UserAgent
	Referer
	numFields
)

// TextSize is the text space of one record: the text fields together, each
// also cut at its own bound (fieldMax).
const TextSize = 2048

var fieldMax = [numFields]int{
	RequestID: 128, ClientIP: 64, Method: 32, Proto: 16, Host: 256,
	Path: 1024, Query: 1024, UserAgent: 512, Referer: 512,
}

// Record is one finished request. The request path fills it between Begin
// and Commit; strings must be values the caller does not change (the
// configuration's, or constants), bytes are copied.
type Record struct {
	pos uint64 // the ring position Begin claimed

	Time         time.Time     // when the request arrived
	Status       int           // the status the client got (101 for a WebSocket session)
	BytesIn      int64         // request body bytes (a WebSocket session: bytes from the client)
	BytesOut     int64         // response body bytes (a WebSocket session: bytes to the client)
	Duration     time.Duration // the whole request (a WebSocket session: until it closed)
	UpstreamTime time.Duration // waiting on the backend (0: none)
	Upstream     string        // the backend's URL, or "cache", "app", "gateway"
	Rule         string        // the rule's pattern, "default", or "gateway" before any matched
	Cache        string        // "HIT", "MISS", "BYPASS", or "" without a cache
	Consumer     string        // who the rule's auth admitted, or ""
	TLS          string        // "TLSv1.3", "TLSv1.2", or "" over plain HTTP
	Retries      int           // attempts after the first
	Limited      bool          // refused by the rule's rate limit

	// addr is the client address SetClientAddr keeps, written out as the
	// ClientIP text by the writer (expand), not by the request.
	addr netip.Addr

	n    uint16
	span [numFields][2]uint16
	text [TextSize]byte
}

// SetClientAddr sets the ClientIP field to a's text, written by the
// log's writer goroutine: the request copies 24 bytes instead of
// formatting the address. An invalid a leaves the field empty.
func (r *Record) SetClientAddr(a netip.Addr) { r.addr = a }

// expand writes the client address SetClientAddr kept as the ClientIP
// text (when no ClientIP text was set), cut to the field's bound and the
// space left, as Set would have.
func (r *Record) expand() {
	if !r.addr.IsValid() || r.span[ClientIP] != [2]uint16{} {
		return
	}
	var buf [64]byte
	r.Set(ClientIP, r.addr.AppendTo(buf[:0]))
	r.addr = netip.Addr{}
}

// Set copies v into field f, cut to the field's bound and the space left.
func (r *Record) Set(f Field, v []byte) {
	room := min(fieldMax[f], TextSize-int(r.n))
	start := r.n
	r.n += uint16(copy(r.text[start:int(start)+min(room, len(v))], v))
	r.span[f] = [2]uint16{start, r.n}
}

// SetString is Set for a string.
func (r *Record) SetString(f Field, v string) {
	room := min(fieldMax[f], TextSize-int(r.n))
	start := r.n
	r.n += uint16(copy(r.text[start:int(start)+min(room, len(v))], v))
	r.span[f] = [2]uint16{start, r.n}
}

// Get returns field f's bytes (valid until the record is reused).
func (r *Record) Get(f Field) []byte {
	s := r.span[f]
	return r.text[s[0]:s[1]]
}

// reset empties the text fields before a record is filled.
func (r *Record) reset() {
	r.n = 0
	r.span = [numFields][2]uint16{}
	r.addr = netip.Addr{}
}

// CopyFrom copies o's fields into r (a WebSocket session's record is kept
// until the session closes, then committed through a ring record).
func (r *Record) CopyFrom(o *Record) {
	r.Time, r.Status, r.BytesIn, r.BytesOut = o.Time, o.Status, o.BytesIn, o.BytesOut
	r.Duration, r.UpstreamTime, r.Upstream, r.Rule = o.Duration, o.UpstreamTime, o.Upstream, o.Rule
	r.Cache, r.Consumer, r.TLS, r.Retries, r.Limited = o.Cache, o.Consumer, o.TLS, o.Retries, o.Limited
	r.n, r.span, r.addr = o.n, o.span, o.addr
	copy(r.text[:o.n], o.text[:o.n])
}
