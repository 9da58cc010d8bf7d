package wsrelay

import (
	"bufio"
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/wait"
)

// TestRelayForwardsFramesUnchanged: every kind of frame, in every length
// encoding (the 70 000-byte one streams through the large buffer), goes
// through byte for byte both ways, client frames still masked with the
// client's key; the backend's early frames follow the 101; the counters
// and the open/close hooks see the connection; a close handshake ends it.
func TestRelayForwardsFramesUnchanged(t *testing.T) {
	var mu sync.Mutex
	var events []string
	note := func(what string) func(string) {
		return func(route string) { mu.Lock(); events = append(events, what+" "+route); mu.Unlock() }
	}
	h := NewHub(HubOptions{Opened: note("opened"), Closed: note("closed")})
	early := frame(finText, []byte("welcome"), false)
	x := startRelay(t, h, "/chat", Options{Backend: "http://b"}, early)
	readExactly(t, x.cr, early)

	big := bytes.Repeat([]byte("0123456789"), 7000)
	var in []byte
	for _, f := range [][]byte{
		frame(finText, []byte("hello"), true),
		frame(finPing, []byte("p"), true),
		frame(text, []byte("ab"), true),
		frame(finPing, nil, true), // a control frame between fragments
		frame(finCont, []byte("cd"), true),
		frame(finBinary, bytes.Repeat([]byte{7}, 300), true),
		frame(finBinary, big, true),
	} {
		in = append(in, f...)
	}
	send(t, x.client, in)
	readExactly(t, x.br, in)

	var out []byte
	for _, f := range [][]byte{
		frame(finText, []byte("hello"), false),
		frame(finBinary, big, false),
		frame(0x8a, []byte("pong"), false),
	} {
		out = append(out, f...)
	}
	send(t, x.backend, out)
	readExactly(t, x.cr, out)

	wait.Until(t, "the counters", func() bool {
		st := h.Stats()
		return len(st) == 1 && st[0] == Stats{Route: "/chat", Open: 1, Accepted: 1,
			MessagesIn: 4, MessagesOut: 3, BytesIn: uint64(len(in)), BytesOut: uint64(len(early) + len(out))}
	})
	x.closeHandshake(t)
	if st := h.Stats(); st[0].Open != 0 {
		t.Fatalf("open after the close: %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0] != "opened /chat" || events[1] != "closed /chat" {
		t.Fatalf("hooks: %q", events)
	}
}

// TestRelayPeersCloseCodes: the close codes the gateway sends itself, to
// the client unmasked and to the backend masked.
func TestRelayPeersCloseCodes(t *testing.T) {
	cases := []struct {
		name   string
		o      Options
		act    func(t *testing.T, x *relay)
		code   uint16
		reason string
		toBack bool // the backend gets the close frame too
	}{
		{"protocol error: an unmasked client frame", Options{}, func(t *testing.T, x *relay) {
			send(t, x.client, frame(finText, []byte("x"), false))
		}, wsProtocolError, "protocol error", true},
		{"protocol error: a continuation outside a message", Options{}, func(t *testing.T, x *relay) {
			send(t, x.backend, frame(finCont, []byte("x"), false))
		}, wsProtocolError, "protocol error", true},
		{"message too big", Options{MaxMessageBytes: 10}, func(t *testing.T, x *relay) {
			ok := frame(finText, []byte("0123456789"), true)
			send(t, x.client, ok)
			readExactly(t, x.br, ok)
			send(t, x.client, append(frame(text, []byte("01234"), true), frame(finCont, []byte("56789A"), true)...))
		}, wsTooBig, "message too big", true},
		{"idle timeout", Options{IdleTimeout: 50 * time.Millisecond}, func(*testing.T, *relay) {}, wsGoingAway, "idle timeout", true},
		{"backend went away", Options{}, func(t *testing.T, x *relay) {
			x.backend.Close()
		}, wsInternalError, "backend went away", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHub(HubOptions{})
			x := startRelay(t, h, "/r", tc.o, nil)
			tc.act(t, x)
			if code, reason := readClose(t, x.cr, false); code != tc.code || reason != tc.reason {
				t.Fatalf("client got close %d %q, want %d %q", code, reason, tc.code, tc.reason)
			}
			if tc.toBack {
				if code, reason := readClose(t, x.br, true); code != tc.code || reason != tc.reason {
					t.Fatalf("backend got close %d %q, want %d %q", code, reason, tc.code, tc.reason)
				}
			}
			x.client.Close() // the client leaves: the relay ends without waiting out the close
			<-x.served
			if st := h.Stats(); st[0].Open != 0 {
				t.Fatalf("open after the end: %+v", st)
			}
		})
	}
}

// TestRelayAbort: a connection whose hijack handler never ran gives back
// its slot and its backend connection; a late Serve does nothing.
func TestRelayAbort(t *testing.T) {
	h := NewHub(HubOptions{})
	x := startRelay(t, h, "/r", Options{}, nil) // a served connection holds a slot too
	gwBackend, backend := pair(t)
	r := h.Rule("/r")
	if !h.Reserve(r, 0, 0) {
		t.Fatal("Reserve refused")
	}
	c := NewConn(h, r, gwBackend, Options{Route: "/r"})
	c.abort()
	wantEOF(t, bufio.NewReader(backend))
	if st := h.Stats(); st[0].Open != 1 {
		t.Fatalf("after the abort: %+v", st)
	}
	client, gwClient := pair(t)
	c.Serve(gwClient, []byte(head101), nil) // returns at once, writes nothing
	_ = gwClient.Close()
	wantEOF(t, bufio.NewReader(client))
	x.closeHandshake(t)
}
