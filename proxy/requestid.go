package proxy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// Request IDs: every request carries one in the configured header (request_id,
// X-Request-ID by default) to the backend and back to the client, in the
// recent requests, the access log and the log lines about it.
//
// An incoming ID is kept when it is well formed: 1 to maxRequestIDLen bytes
// of letters, digits and "-_.:+=/@" (a UUID, a ULID, an upstream proxy's
// ID, base64). Anything else (too long, spaces, quotes, control bytes) is
// replaced: the ID goes into log lines and JSON unescaped-safe, and a client
// must not be able to forge line breaks or fields through it.
//
// A minted ID is ridPrefixLen hex digits fixed per process (its start time
// in seconds, then random bits, so IDs of different processes differ and
// sort by start) and ridCounterLen hex digits of a counter: unique, sortable
// as strings, fixed width, written into the request's scratch without
// allocating.
const (
	maxRequestIDLen = 64
	ridPrefixLen    = 16
	ridCounterLen   = 12
)

// requestIDs is the compiled request_id block (nil: off).
type requestIDs struct {
	header []byte // as configured (the 101 head of an upgrade)
	// canon is the header name in fasthttp's canonical form, the form the
	// gateway's requests and backends' responses hold their names in, so
	// the lookups on every request skip normalising the name again.
	canon []byte
}

func newRequestIDs(c config.RequestID) *requestIDs {
	if !c.Enabled {
		return nil
	}
	return &requestIDs{header: []byte(c.Header), canon: fasthttp.AppendNormalizedHeaderKey(nil, c.Header)}
}

var (
	ridPrefix  = mintPrefix()
	ridCounter atomic.Uint64
)

func mintPrefix() [ridPrefixLen]byte {
	var p [ridPrefixLen]byte
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	s := strconv.FormatUint(uint64(time.Now().Unix())&0xffffffff, 16)
	for i := 0; i < 8-len(s); i++ {
		p[i] = '0'
	}
	copy(p[8-len(s):], s)
	hex.Encode(p[8:], b[:])
	return p
}

// appendMintedID appends a fresh ID to dst.
func appendMintedID(dst []byte) []byte {
	n := ridCounter.Add(1)
	dst = append(dst, ridPrefix[:]...)
	var c [ridCounterLen]byte
	for i := ridCounterLen - 1; i >= 0; i-- {
		c[i] = "0123456789abcdef"[n&0xf]
		n >>= 4
	}
	return append(dst, c[:]...)
}

// validRequestID reports whether an incoming ID is kept as it is.
func validRequestID(id []byte) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range id {
		if !ridChars[c] {
			return false
		}
	}
	return true
}

var ridChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "-_.:+=/@" {
		t[c] = true
	}
	return t
}()

// requestID sets s.rid: the request's well-formed ID, or a minted one that
// replaces whatever the client sent, so the backend gets exactly the ID
// the gateway logs. With request_id off, s.rid stays empty.
func (r *requestIDs) requestID(ctx *fasthttp.RequestCtx, s *scratch) {
	s.rid = s.rid[:0]
	if r == nil {
		return
	}
	h := &ctx.Request.Header
	in := h.PeekCanonical(r.canon)
	if validRequestID(in) {
		s.rid = append(s.rid, in...)
		return
	}
	s.rid = appendMintedID(s.rid)
	if in != nil {
		h.DelBytes(r.canon) // every copy: the backend sees the one ID
	}
	h.SetCanonical(r.canon, s.rid)
}

// answerID puts the request's ID on the answer, whoever produced it (a
// backend, the cache, the gateway's own error). A backend's own header of
// that name is replaced, so the client sees the one the gateway logged:
// the first copy here, the others already removed where the backend's
// answer arrived (stripHopByHop). An in-process application's answer
// (app) does not pass there, so all its copies are removed here.
func (r *requestIDs) answerID(ctx *fasthttp.RequestCtx, s *scratch, app bool) {
	if r == nil || len(s.rid) == 0 {
		return
	}
	h := &ctx.Response.Header
	if app {
		h.DelBytes(r.canon)
	}
	h.SetCanonical(r.canon, s.rid)
}

// name returns the header's canonical name, nil with request IDs off.
func (r *requestIDs) name() []byte {
	if r == nil {
		return nil
	}
	return r.canon
}

// intoHead returns a copy of a backend's 101 head (relayed to the client
// as it is) with the request's ID added, so an upgrade's answer carries it
// too.
func (r *requestIDs) intoHead(head []byte, s *scratch) []byte {
	if r == nil || len(s.rid) == 0 || !bytes.HasSuffix(head, strCRLF2) {
		return append([]byte(nil), head...)
	}
	out := make([]byte, 0, len(head)+len(r.header)+len(s.rid)+4)
	out = append(out, head[:len(head)-2]...)
	out = append(append(append(out, r.header...), ": "...), s.rid...)
	return append(out, strCRLF2...)
}

// peek returns the request's ID as the request header holds it (after
// requestID ran), for log lines written where the scratch is out of reach.
func (r *requestIDs) peek(ctx *fasthttp.RequestCtx) []byte {
	if r == nil {
		return nil
	}
	return ctx.Request.Header.PeekCanonical(r.canon)
}
