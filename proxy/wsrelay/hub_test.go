package wsrelay

import (
	"testing"
	"time"
)

// TestHubReserve: a rule's cap, the cap over all rules, slots given back,
// and refusals counted.
func TestHubReserve(t *testing.T) {
	h := NewHub(HubOptions{})
	a, b := h.Rule("/a"), h.Rule("/b")
	steps := []struct {
		r    *Rule
		max  int
		want bool
	}{
		{a, 1, true},
		{a, 1, false}, // /a is full
		{b, 0, true},
		{b, 0, false}, // all rules together hold 2
	}
	for i, s := range steps {
		if got := h.Reserve(s.r, s.max, 2); got != s.want {
			t.Fatalf("step %d: Reserve = %v", i, got)
		}
	}
	h.Release(b)
	if !h.Reserve(b, 0, 2) {
		t.Fatal("a released slot is not free again")
	}
	a.Refuse()
	want := []Stats{{Route: "/a", Open: 1, Refused: 2}, {Route: "/b", Open: 1, Refused: 1}}
	if st := h.Stats(); len(st) != 2 || st[0] != want[0] || st[1] != want[1] {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
}

// TestHubCloseAll: shutdown sends 1001 to both peers of every connection,
// returns once they are gone, and refuses new connections from then on.
func TestHubCloseAll(t *testing.T) {
	h := NewHub(HubOptions{})
	xs := []*relay{startRelay(t, h, "/a", Options{}, nil), startRelay(t, h, "/b", Options{}, nil)}
	closed := make(chan struct{})
	go func() {
		h.CloseAll(10 * time.Second)
		close(closed)
	}()
	for _, x := range xs {
		answerGoingAway(t, x, "server shutting down")
	}
	<-closed
	for _, x := range xs {
		<-x.served
	}
	if h.Reserve(h.Rule("/a"), 0, 0) {
		t.Fatal("Reserve succeeded after CloseAll")
	}
	if st := h.Stats(); st[0].Open != 0 || st[1].Open != 0 || st[0].Refused != 1 {
		t.Fatalf("stats after CloseAll: %+v", st)
	}
	h.CloseAll(time.Second) // nothing open: returns at once
}

// TestHubCloseRemoved: after a reload, the connections of rules the new
// config lacks get 1001; the others keep relaying.
func TestHubCloseRemoved(t *testing.T) {
	h := NewHub(HubOptions{})
	kept, removed := startRelay(t, h, "/kept", Options{}, nil), startRelay(t, h, "/removed", Options{}, nil)
	h.CloseRemoved(map[string]bool{"/kept": true, "default": true}, 10*time.Second)
	answerGoingAway(t, removed, "route removed")
	<-removed.served
	msg := frame(finText, []byte("still here"), true)
	send(t, kept.client, msg)
	readExactly(t, kept.br, msg)
	kept.closeHandshake(t)
}

// answerGoingAway reads the gateway's 1001 on both peers of x and answers
// it with their own close frames, which ends the connection.
func answerGoingAway(t *testing.T, x *relay, reason string) {
	t.Helper()
	if code, r := readClose(t, x.cr, false); code != wsGoingAway || r != reason {
		t.Fatalf("client got close %d %q", code, r)
	}
	if code, r := readClose(t, x.br, true); code != wsGoingAway || r != reason {
		t.Fatalf("backend got close %d %q", code, r)
	}
	send(t, x.client, frame(finClose, closeBody(wsGoingAway, ""), true))
	send(t, x.backend, frame(finClose, closeBody(wsGoingAway, ""), false))
	wantEOF(t, x.cr)
	wantEOF(t, x.br)
}
