package wsrelay

import (
	"errors"
	"net"
	"sync"
)

// Read buffers. Each pump reads into its own small buffer (part of the
// connection, so an idle connection holds 2 × wsSmallBuf) and switches to a
// pooled large buffer only while a read fills the small one, i.e. while
// large messages stream; it gives the large one back at the first frame
// boundary that ends a short read.
const (
	wsSmallBuf = 1 << 10
	wsBigBuf   = 32 << 10
)

var wsBigPool = sync.Pool{New: func() any { return new([wsBigBuf]byte) }}

// wsPump relays one direction of a connection frame-aware: it parses each
// frame header (2–14 bytes) and forwards headers and payloads unchanged —
// client frames stay masked with the client's key, which the backend
// accepts as the gateway's — so there is no unmasking, copying or
// re-framing. Knowing the boundaries lets it count messages, enforce
// max_message_bytes and inject close frames between frames.
type wsPump struct {
	c        *Conn
	src, dst *wsSide
	in       bool // client → backend: frames must arrive masked

	op      byte  // opcode of the current frame
	remain  int64 // payload bytes left in the current frame
	drop    bool  // the current frame is not forwarded
	closing bool  // the current frame is a close frame being forwarded
	inMsg   bool  // inside a fragmented data message
	broken  bool  // protocol error: the rest of the stream is discarded
	msgLen  int64 // payload bytes of the current message so far
	hdrN    int   // bytes of a header split across reads, held in hdr
	hdr     [14]byte

	msgs, bytes         uint64 // totals
	statMsgs, statBytes uint64 // not yet added to the rule's counters

	small [wsSmallBuf]byte
}

// run pumps until the source fails or is closed, then reports to the
// connection. initial holds bytes already read from the source.
func (p *wsPump) run(initial []byte) {
	if len(initial) > 0 {
		p.process(initial)
		p.flushStats()
	}
	buf := p.small[:]
	var big *[wsBigBuf]byte
	for {
		n, err := p.src.conn.Read(buf)
		if n > 0 {
			p.c.touch()
			p.process(buf[:n])
			p.flushStats()
		}
		if err != nil {
			if isTimeout(err) && p.c.onTimeout(p.src) {
				continue
			}
			break
		}
		switch {
		case big == nil && n == len(buf):
			big = wsBigPool.Get().(*[wsBigBuf]byte)
			buf = big[:]
		case big != nil && n < len(buf) && p.remain == 0 && p.hdrN == 0:
			wsBigPool.Put(big)
			big, buf = nil, p.small[:]
		}
	}
	if big != nil {
		wsBigPool.Put(big)
	}
	p.c.pumpDone(p)
}

// isTimeout reports a read deadline that ran out (the idle timeout's).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// process relays one read: runs of whole forwarded frames go out in one
// write; dropped frames and held-back partial headers split the runs.
func (p *wsPump) process(b []byte) {
	if p.broken {
		return
	}
	run, i := 0, 0
	for i < len(b) {
		if p.remain > 0 {
			k := int(min(p.remain, int64(len(b)-i)))
			if p.drop {
				p.out(b[run:i], true, false)
				run = i + k
			}
			i += k
			p.remain -= int64(k)
			if p.remain == 0 {
				run = p.frameEnd(b, run, i)
			}
			continue
		}
		h := b[i:]
		if p.hdrN > 0 || len(h) < 2 || len(h) < wsHeaderLen(h[0], h[1]) {
			// A header split across reads: hold it back until whole.
			p.out(b[run:i], true, false)
			i += p.collect(h)
			run = i
			if p.hdrN < 2 || p.hdrN < wsHeaderLen(p.hdr[0], p.hdr[1]) {
				return
			}
			hl := p.hdrN
			p.hdrN = 0
			if !p.begin(p.hdr[:hl]) {
				return
			}
			if !p.drop {
				p.out(p.hdr[:hl], p.remain == 0, false)
			}
		} else {
			hl := wsHeaderLen(h[0], h[1])
			if !p.begin(h[:hl]) {
				p.out(b[run:i], true, false)
				return
			}
			if p.drop {
				p.out(b[run:i], true, false)
				run = i + hl
			}
			i += hl
		}
		if p.remain == 0 {
			run = p.frameEnd(b, run, i)
		}
	}
	p.out(b[run:], p.remain == 0 || p.drop, false)
}

// collect copies header bytes from h into p.hdr and returns how many it took.
func (p *wsPump) collect(h []byte) int {
	k := 0
	for p.hdrN < 2 && k < len(h) {
		p.hdr[p.hdrN] = h[k]
		p.hdrN++
		k++
	}
	if p.hdrN < 2 {
		return k
	}
	n := copy(p.hdr[p.hdrN:wsHeaderLen(p.hdr[0], p.hdr[1])], h[k:])
	p.hdrN += n
	return k + n
}

// wsHeaderLen is the length of the frame header starting with b0 b1.
func wsHeaderLen(b0, b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// begin checks a frame header and decides whether the frame is forwarded.
// It returns false on a protocol error (the connection is being closed).
func (p *wsPump) begin(h []byte) bool {
	fin, op, masked := h[0]&0x80 != 0, h[0]&0x0f, h[1]&0x80 != 0
	var n uint64
	switch l := h[1] & 0x7f; l {
	case 126:
		n = uint64(h[2])<<8 | uint64(h[3])
	case 127:
		for _, x := range h[2:10] {
			n = n<<8 | uint64(x)
		}
	default:
		n = uint64(l)
	}
	ok := masked == p.in && n < 1<<62
	switch op {
	case 0:
		ok = ok && p.inMsg
	case 1, 2:
		ok = ok && !p.inMsg
	case 8, 9, 10:
		ok = ok && fin && n <= 125
	default:
		ok = false
	}
	if !ok {
		p.broken = true
		p.c.goAway(wsProtocolError, "protocol error", wsCloseWait)
		return false
	}
	p.op, p.remain, p.closing = op, int64(n), false
	p.drop = p.dst.closing.Load()
	if op < 8 {
		if op != 0 {
			p.msgLen = 0
		}
		p.msgLen += int64(n)
		p.inMsg = !fin
		if p.c.maxMsg > 0 && p.msgLen > p.c.maxMsg {
			p.drop = true
			p.c.goAway(wsTooBig, "message too big", wsCloseWait)
		}
		if !p.drop && fin {
			p.msgs++
			p.statMsgs++
		}
	} else if op == 8 && !p.drop {
		p.closing = p.dst.closing.CompareAndSwap(false, true)
		p.drop = !p.closing
	}
	return true
}

// frameEnd runs when the current frame's last byte is at b[i-1]; it
// returns the new start of the forwarding run.
func (p *wsPump) frameEnd(b []byte, run, i int) int {
	if p.op != 8 {
		return run
	}
	if p.closing {
		p.out(b[run:i], true, true)
		p.closing = false
		run = i
	}
	p.src.gotClose()
	return run
}

// out forwards b to the destination; boundary says whether b ends at a
// frame boundary, closeDone whether it ends a forwarded close frame.
func (p *wsPump) out(b []byte, boundary, closeDone bool) {
	if len(b) == 0 && !closeDone {
		return
	}
	p.dst.write(b, boundary, closeDone)
	p.bytes += uint64(len(b))
	p.statBytes += uint64(len(b))
}

// flushStats adds this burst's counts to the rule's counters.
func (p *wsPump) flushStats() {
	r := p.c.rule
	msgs, bytes := &r.msgsOut, &r.bytesOut
	if p.in {
		msgs, bytes = &r.msgsIn, &r.bytesIn
	}
	if p.statMsgs > 0 {
		msgs.Add(p.statMsgs)
	}
	if p.statBytes > 0 {
		bytes.Add(p.statBytes)
	}
	p.statMsgs, p.statBytes = 0, 0
}
