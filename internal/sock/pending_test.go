package sock

import (
	"net"
	"testing"
)

// TestPendingCloseAll: CloseAll closes what is tracked, not what was
// untracked, and refuses what comes after it.
func TestPendingCloseAll(t *testing.T) {
	var p Pending
	a1, a2 := net.Pipe()
	b1, b2 := net.Pipe()
	defer a2.Close()
	defer b1.Close()
	defer b2.Close()
	if !p.Track(a1) || !p.Track(b1) {
		t.Fatal("Track refused before CloseAll")
	}
	p.Untrack(b1)
	p.CloseAll()
	if _, err := a1.Write([]byte("x")); err == nil {
		t.Error("a tracked connection is still open after CloseAll")
	}
	go func() { _, _ = b2.Read(make([]byte, 1)) }()
	if _, err := b1.Write([]byte("x")); err != nil {
		t.Errorf("an untracked connection was closed: %v", err)
	}
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	if p.Track(c1) {
		t.Error("Track accepted a connection after CloseAll")
	}
}
