package wsrelay

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

// testPump returns the pump of a fresh connection relaying towards the
// backend (in) or the client, with its destination on a real loopback
// connection, and the far end of that connection.
func testPump(t *testing.T, in bool, o Options) (*wsPump, *bufio.Reader) {
	t.Helper()
	h := NewHub(HubOptions{})
	gw, far := pair(t)
	c := NewConn(h, h.Rule("/p"), gw, o)
	if in {
		return &c.up, bufio.NewReader(far)
	}
	c.client.conn = gw
	return &c.down, bufio.NewReader(far)
}

// TestPumpSplitAnywhere: however the reads cut the stream (inside a frame
// header, between header and payload, inside a payload), the pump forwards
// exactly the bytes it read and counts each message once.
func TestPumpSplitAnywhere(t *testing.T) {
	for _, in := range []bool{true, false} {
		var stream []byte
		for _, f := range [][]byte{
			frame(finText, []byte("hello"), in),
			frame(text, []byte("frag"), in),
			frame(finPing, []byte("ping"), in),
			frame(finCont, []byte("ment"), in),
			frame(finBinary, bytes.Repeat([]byte{1}, 300), in),   // 16-bit length
			frame(finBinary, bytes.Repeat([]byte{2}, 70000), in), // 64-bit length
			frame(finText, nil, in),
		} {
			stream = append(stream, f...)
		}
		var cuts [][]int
		for k := 1; k < len(stream); k += max(1, k/8) {
			cuts = append(cuts, []int{k})
		}
		bytewise := make([]int, 400)
		for i := range bytewise {
			bytewise[i] = i + 1
		}
		cuts = append(cuts, bytewise)
		for _, cut := range cuts {
			p, far := testPump(t, in, Options{})
			got := make(chan []byte)
			go func() {
				b := make([]byte, len(stream))
				n, _ := io.ReadFull(far, b)
				got <- b[:n]
			}()
			prev := 0
			for _, k := range append(cut, len(stream)) {
				p.process(stream[prev:k])
				prev = k
			}
			if b := <-got; !bytes.Equal(b, stream) {
				t.Fatalf("in=%v cut %v: relayed %d of %d bytes, or different ones", in, cut[:min(len(cut), 3)], len(b), len(stream))
			}
			if p.msgs != 5 || p.bytes != uint64(len(stream)) {
				t.Fatalf("in=%v cut %v: %d messages, %d bytes", in, cut[:min(len(cut), 3)], p.msgs, p.bytes)
			}
		}
	}
}
