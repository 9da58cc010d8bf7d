package h2

import (
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
)

// Frame types and flags the guard reads (RFC 9113 §6).
const (
	frameHeaders      = 0x1
	frameRSTStream    = 0x3
	frameContinuation = 0x9
	flagEndHeaders    = 0x4
	frameHeaderLen    = 9
)

// errCalm ends a flooding connection: the connection's reader answers a
// read error of this type with GOAWAY ENHANCE_YOUR_CALM and closes it.
var errCalm error = http2.ConnectionError(http2.ErrCodeEnhanceYourCalm)

// guardConn is the client connection as the connection's reader reads
// it. It follows the frame boundaries of what the client sends (headers
// only, no decoding, no copy) and bounds the two floods the stream and
// header limits alone leave open:
//
//   - rapid reset (CVE-2023-44487): the server refuses streams over
//     MaxConcurrentStreams and ends a connection whose handlers (reset
//     streams' included) reach four times as many, but a client
//     resetting each stream as soon as it opens it still makes the
//     server parse, dispatch and tear down a stream per reset, for as
//     long as it likes. More than maxResets RST_STREAM frames within one
//     second end the connection;
//   - CONTINUATION flood (CVE-2024-27316): the framer bounds a header
//     block's bytes (max_header_bytes), but CONTINUATION frames with
//     empty fragments add no bytes, so one endless header block kept the
//     connection busy. More than maxContinuations CONTINUATION frames in
//     one header block end the connection.
//
// The end is a read error of type http2.ConnectionError returned on the
// read after the offending frame's bytes, so the reader sends GOAWAY
// ENHANCE_YOUR_CALM and closes the connection as for its own errors.
type guardConn struct {
	net.Conn
	preface int // client preface bytes still to pass before the first frame

	hdr  [frameHeaderLen]byte // the frame header being read
	hn   int                  // its bytes read so far
	skip int                  // payload bytes of the current frame still to pass

	maxContinuations int
	continuations    int // CONTINUATION frames of the open header block

	maxResets int
	resets    int       // RST_STREAM frames since window
	window    time.Time // start of the current one-second window

	err    error          // set once the connection flooded
	floods *atomic.Uint64 // the server's count of flooding connections
}

func (g *guardConn) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.Conn.Read(p)
	g.scan(p[:n])
	return n, err
}

// scan follows the frames in b, the next bytes the client sent.
func (g *guardConn) scan(b []byte) {
	for len(b) > 0 && g.err == nil {
		switch {
		case g.preface > 0:
			k := min(g.preface, len(b))
			g.preface -= k
			b = b[k:]
		case g.skip > 0:
			k := min(g.skip, len(b))
			g.skip -= k
			b = b[k:]
		default:
			k := copy(g.hdr[g.hn:], b)
			g.hn += k
			b = b[k:]
			if g.hn < frameHeaderLen {
				return
			}
			g.hn = 0
			g.skip = int(g.hdr[0])<<16 | int(g.hdr[1])<<8 | int(g.hdr[2])
			g.frame(g.hdr[3], g.hdr[4])
		}
	}
}

// frame counts one frame by its type and flags.
func (g *guardConn) frame(typ, flags byte) {
	switch typ {
	case frameHeaders:
		g.continuations = 0
	case frameContinuation:
		g.continuations++
		if g.continuations > g.maxContinuations {
			g.flood()
		}
		if flags&flagEndHeaders != 0 {
			g.continuations = 0
		}
	case frameRSTStream:
		if now := time.Now(); now.Sub(g.window) >= time.Second {
			g.window, g.resets = now, 0
		}
		g.resets++
		if g.resets > g.maxResets {
			g.flood()
		}
	}
}

func (g *guardConn) flood() {
	g.err = errCalm
	g.floods.Add(1)
}
