package wsrelay

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/nettest"
	"github.com/premier-gateway/premier/internal/wait"
)

// Frame opcodes with FIN set, as the first byte of a frame.
const (
	finText   = 0x81
	finBinary = 0x82
	finClose  = 0x88
	finPing   = 0x89
	text      = 0x01 // first fragment of a text message
	finCont   = 0x80 // last fragment
)

// maskKey is the key of the test's masked (client) frames.
var maskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// frame builds one frame; frames a client sends are masked.
func frame(b0 byte, payload []byte, masked bool) []byte {
	f := []byte{b0}
	var m byte
	if masked {
		m = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		f = append(f, m|byte(n))
	case n < 1<<16:
		f = append(f, m|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, m|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	if !masked {
		return append(f, payload...)
	}
	f = append(f, maskKey[:]...)
	for i, b := range payload {
		f = append(f, b^maskKey[i&3])
	}
	return f
}

// closeBody is a close frame's payload: the code, then the reason.
func closeBody(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// readFrame reads one whole frame from br and returns its first byte, its
// payload (unmasked) and whether it was masked.
func readFrame(t *testing.T, br *bufio.Reader) (b0 byte, payload []byte, masked bool) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	ext := make([]byte, wsHeaderLen(h[0], h[1])-2)
	if _, err := io.ReadFull(br, ext); err != nil {
		t.Fatalf("frame header: %v", err)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		n, ext = uint64(binary.BigEndian.Uint16(ext)), ext[2:]
	case 127:
		n, ext = binary.BigEndian.Uint64(ext), ext[8:]
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatalf("frame payload: %v", err)
	}
	if masked = h[1]&0x80 != 0; masked {
		for i := range payload {
			payload[i] ^= ext[i&3]
		}
	}
	return h[0], payload, masked
}

// readClose reads frames until a close frame and returns its code and
// reason; the gateway masks its frames to the backend only.
func readClose(t *testing.T, br *bufio.Reader, wantMasked bool) (uint16, string) {
	t.Helper()
	for {
		b0, p, masked := readFrame(t, br)
		if b0 != finClose {
			continue
		}
		if masked != wantMasked || len(p) < 2 {
			t.Fatalf("close frame masked=%v payload %q", masked, p)
		}
		return binary.BigEndian.Uint16(p), string(p[2:])
	}
}

// wantEOF checks that the relay closed the connection to br's peer.
func wantEOF(t *testing.T, br *bufio.Reader) {
	t.Helper()
	if b, err := io.ReadAll(br); len(b) > 0 || err != nil {
		t.Fatalf("after the close: %q, %v", b, err)
	}
}

const head101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"

// relay is one relayed connection between two real loopback connections:
// the test plays the client on client/cr and the backend on backend/br.
type relay struct {
	c               *Conn
	client, backend net.Conn
	cr, br          *bufio.Reader
	served          chan struct{} // closed when Serve returned
}

// startRelay reserves a slot of route on h and serves a relay the way the
// gateway does: NewConn on the backend connection, AbortAfter, then Serve
// on the client connection with the 101 and the backend's early bytes.
func startRelay(t *testing.T, h *Hub, route string, o Options, early []byte) *relay {
	t.Helper()
	client, gwClient := nettest.Pair(t)
	gwBackend, backend := nettest.Pair(t)
	r := h.Rule(route)
	if !h.Reserve(r, 0, 0) {
		t.Fatal("Reserve refused")
	}
	o.Route = route
	x := &relay{c: NewConn(h, r, gwBackend, o), client: client, backend: backend,
		cr: bufio.NewReader(client), br: bufio.NewReader(backend), served: make(chan struct{})}
	x.c.AbortAfter(time.Minute)
	go func() {
		defer close(x.served)
		x.c.Serve(gwClient, []byte(head101), early)
	}()
	t.Cleanup(func() {
		client.Close()
		backend.Close()
		<-x.served
	})
	deadline := time.Now().Add(20 * time.Second) // a liveness guard, not a timing assertion
	_ = client.SetDeadline(deadline)
	_ = backend.SetDeadline(deadline)
	head := make([]byte, len(head101))
	if _, err := io.ReadFull(x.cr, head); err != nil || string(head) != head101 {
		t.Fatalf("101 head: %q, %v", head, err)
	}
	// Serve registers the connection just after writing the 101.
	wait.Until(t, "the hub to register the connection", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		_, ok := r.conns[x.c]
		return ok
	})
	return x
}

// send writes b on c.
func send(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// readExactly reads len(want) bytes from br and compares them with want.
func readExactly(t *testing.T, br *bufio.Reader, want []byte) {
	t.Helper()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatalf("read %d bytes: %v", len(want), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("relayed bytes differ (%d bytes)", len(want))
	}
}

// closeHandshake ends a relay cleanly: the client's close goes to the
// backend, the backend's reply to the client, and the relay closes both
// connections and returns from Serve.
func (x *relay) closeHandshake(t *testing.T) {
	t.Helper()
	c := frame(finClose, closeBody(1000, "bye"), true)
	send(t, x.client, c)
	readExactly(t, x.br, c)
	reply := frame(finClose, closeBody(1000, "bye"), false)
	send(t, x.backend, reply)
	readExactly(t, x.cr, reply)
	wantEOF(t, x.cr)
	wantEOF(t, x.br)
	<-x.served
}

// pair returns both ends of a loopback connection with a liveness deadline.
func pair(t *testing.T) (net.Conn, net.Conn) {
	a, b := nettest.Pair(t)
	deadline := time.Now().Add(20 * time.Second)
	_ = a.SetDeadline(deadline)
	_ = b.SetDeadline(deadline)
	return a, b
}
