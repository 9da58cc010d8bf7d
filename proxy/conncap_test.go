package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// One address holds at most max_connections_per_ip connections; the next
// gets 429 with a JSON body and is closed, and a closed connection frees
// its slot.
func TestConnectionsPerIPCap(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, echoBackend), "  limits: {max_connections_per_ip: 2}\n"))
	get := func(c net.Conn) (*http.Response, error) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET /x HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	held := []net.Conn{dialT(t, h.addr), dialT(t, h.addr)}
	for i, c := range held {
		if resp, err := get(c); err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d under the cap: %v %v", i, resp, err)
		}
	}
	over := dialT(t, h.addr)
	_, out := closedWithin(t, over, 3*time.Second)
	if !strings.HasPrefix(out, "HTTP/1.1 429 ") || !strings.Contains(out, "Retry-After: 1") ||
		!strings.HasSuffix(out, `{"error":"too many connections from this address"}`) {
		t.Fatalf("connection over the cap got %q", out)
	}
	var m bytes.Buffer
	h.gw.writePrometheus(&m)
	if !strings.Contains(m.String(), "\npremier_connections_refused_total 1\n") {
		t.Fatalf("refusal not counted:\n%s", m.String())
	}
	held[0].Close()
	for i := 0; ; i++ { // the gateway sees the close on its next read
		c := dialT(t, h.addr)
		if resp, err := get(c); err == nil && resp.StatusCode == 200 {
			break
		}
		if i == 100 {
			t.Fatal("the closed connection's slot never freed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
