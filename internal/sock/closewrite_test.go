package sock

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/nettest"
	"github.com/premier-gateway/premier/internal/watchdog"
)

// CloseWrite finds the TCP connection under the gateway's wrappers: the
// peer reads an end of stream, and can still send.
func TestCloseWrite(t *testing.T) {
	w := watchdog.New(0)
	defer w.Close()
	for name, wrap := range map[string]func(net.Conn) net.Conn{
		"tcp":         func(c net.Conn) net.Conn { return c },
		"watchdog":    func(c net.Conn) net.Conn { return w.Wrap(c) },
		"client conn": func(c net.Conn) net.Conn { return NewClientConn(w.Wrap(c)) },
	} {
		client, server := nettest.Pair(t)
		s := wrap(server)
		if !CloseWrite(s) {
			t.Fatalf("%s: CloseWrite failed", name)
		}
		_ = client.SetDeadline(time.Now().Add(5 * time.Second))
		if n, err := client.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("%s: the peer read %d, %v; want an end of stream", name, n, err)
		}
		if _, err := client.Write([]byte("x")); err != nil {
			t.Fatalf("%s: the peer cannot send after the half-close: %v", name, err)
		}
		_ = s.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(s, make([]byte, 1)); err != nil {
			t.Fatalf("%s: reading after the half-close: %v", name, err)
		}
		_ = s.Close()
	}
	if CloseWrite(nil) {
		t.Fatal("CloseWrite(nil) reported a half-close")
	}
}
