package tracing

import "net/netip"

// MaxAttemptSpans is how many attempt (client) spans one request records.
// The default retry makes 3 attempts and the retry budget (20% of recent
// requests by default) keeps retries rare; a rule whose max_attempts is
// above this records the first MaxAttemptSpans attempts, and the spans of
// the others are counted as dropped (the backends still get a
// traceparent for each).
const MaxAttemptSpans = 8

// The text of a record: the values the request copies (its own bytes,
// which change after it), each cut at its bound. Strings the request
// hands over unchanged (constants, the configuration's) are kept as
// strings, not copied.
type textField uint8

const (
	textPath textField = iota
	textHost
	textUserAgent
	textTracestate
	numText
)

// textMax bounds each copied value; an attempt's target (the path sent to
// the backend) has targetMax. textSize holds them all, and one distinct
// target besides the first (a second distinct one is cut to what is left).
const (
	targetMax = 1024
	textSize  = 1024 + 256 + 512 + MaxTracestate + 2*targetMax
)

var textMax = [numText]int{textPath: 1024, textHost: 256, textUserAgent: 512, textTracestate: MaxTracestate}

// record is one sampled request's spans: its server span and up to
// MaxAttemptSpans attempt spans, in a fixed size so the request path
// fills it without allocating. A Request fills one from the records pool;
// End copies it into a slot of the Tracer's ring (head and the used text
// only), where the exporter goroutine reads it: a slow request never
// holds the ring up.
type record struct {
	head
	text [textSize]byte
}

// head is a record but its text area.
type head struct {
	traceID  [16]byte
	spanID   [8]byte // the server span's
	parentID [8]byte // the caller's span; zero for a trace started here
	// parentFlags are the caller's trace flags; flags are the spans'
	// (the caller's, sampled).
	parentFlags, flags byte
	method             string // as the conventions name it (semconvMethod)
	route              string // the rule's pattern, or ""
	scheme, proto      string
	client             netip.Addr
	start, end         int64 // Unix nanoseconds
	status             int32
	attempts           [MaxAttemptSpans]attempt
	nAttempts          uint8
	n                  uint16 // text bytes used
	text               [numText][2]uint16
}

// attempt is one attempt span of a record.
type attempt struct {
	spanID     [8]byte
	start, end int64
	status     int32
	resend     int32
	port       int32
	method     string // as the conventions name it
	address    string // the backend's host
	scheme     string // "http://" or "https://"
	addr       string // the backend's host:port as its URL writes it
	errType    string // the failure class, when the backend gave no status
	target     [2]uint16
}

// setText copies v into field f, cut to its bound and the space left.
func (h *head) setText(text *[textSize]byte, f textField, v []byte) {
	h.text[f] = h.appendText(text, v, textMax[f])
}

// appendText copies v into the text area, cut to limit and the space
// left, and returns where it went.
func (h *head) appendText(text *[textSize]byte, v []byte, limit int) [2]uint16 {
	room := min(limit, textSize-int(h.n))
	start := h.n
	h.n += uint16(copy(text[start:int(start)+min(room, len(v))], v))
	return [2]uint16{start, h.n}
}

// get returns the bytes at span s of the text area.
func (r *record) get(s [2]uint16) []byte { return r.text[s[0]:s[1]] }

// copyFrom copies o into r: the head and the text o used.
func (r *record) copyFrom(o *record) {
	r.head = o.head
	copy(r.text[:o.n], o.text[:o.n])
}
