package sock

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/nettest"
)

func TestConnCapKeys(t *testing.T) {
	var c ConnCap
	addr := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	r1, ok1 := c.Admit(addr("[2001:db8:1:2::1]:1000"), 2)
	_, ok2 := c.Admit(addr("[2001:db8:1:2:ffff::9]:2000"), 2) // same /64
	_, ok3 := c.Admit(addr("[2001:db8:1:2::3]:3000"), 2)
	_, other := c.Admit(addr("[2001:db8:1:3::1]:1000"), 2) // another /64
	_, v4 := c.Admit(addr("[::ffff:192.0.2.1]:1"), 1)      // mapped IPv4 counts as IPv4
	_, v4again := c.Admit(addr("192.0.2.1:2"), 1)
	if !ok1 || !ok2 || ok3 || !other || !v4 || v4again {
		t.Fatalf("admits %v %v %v %v %v %v", ok1, ok2, ok3, other, v4, v4again)
	}
	if n := c.Refused(); n != 2 {
		t.Fatalf("Refused() = %d after two refusals", n)
	}
	r1()
	if _, ok := c.Admit(addr("[2001:db8:1:2::3]:3000"), 2); !ok {
		t.Fatal("release did not free the slot")
	}
}

// Refuse answers a client that already sent its request, then closes: the
// client reads the whole answer and EOF, not a reset.
func TestRefuseAnswersThenCloses(t *testing.T) {
	client, server := nettest.Pair(t)
	if _, err := io.WriteString(client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the request is in the server's socket
	go Refuse(server, []byte("refused"))
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(client)
	if err != nil || string(b) != "refused" {
		t.Fatalf("client read %q, %v; want the answer then EOF", b, err)
	}
}
