//go:build unix && !aix

package sock

import (
	"io"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/nettest"
)

// PeekPrefix tells a prefix from other bytes, waiting across a prefix
// sent in pieces, and consumes nothing.
func TestPeekPrefix(t *testing.T) {
	prefix := []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	for _, tc := range []struct {
		name   string
		pieces []string
		match  bool
	}{
		{"HTTP/1.1", []string{"GET / HTTP/1.1\r\n\r\n"}, false},
		{"preface", []string{string(prefix) + "\x00\x00"}, true},
		{"preface in pieces", []string{"PR", "I * HTTP/2.0\r\n", "\r\nSM\r\n\r\n"}, true},
		{"a P that is not the preface", []string{"P", "OST / HTTP/1.1\r\n\r\n"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, far := nettest.Pair(t)
			go func() {
				for _, p := range tc.pieces {
					_, _ = far.Write([]byte(p))
					time.Sleep(20 * time.Millisecond)
				}
			}()
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			match, err := PeekPrefix(c, prefix)
			if err != nil || match != tc.match {
				t.Fatalf("match %v, err %v; want %v", match, err, tc.match)
			}
			first := make([]byte, len(tc.pieces[0]))
			if _, err := io.ReadFull(c, first); err != nil || string(first) != tc.pieces[0] {
				t.Fatalf("after the peek read %q, %v: the peek consumed bytes", first, err)
			}
		})
	}
	t.Run("closed", func(t *testing.T) {
		c, far := nettest.Pair(t)
		_ = far.Close()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if match, err := PeekPrefix(c, prefix); match || err != io.EOF {
			t.Fatalf("match %v, err %v", match, err)
		}
	})
	// A peek cannot see the end of the stream behind bytes still unread:
	// a client that stops mid-prefix waits out the deadline, as it would
	// mid-request.
	t.Run("closed mid-prefix", func(t *testing.T) {
		c, far := nettest.Pair(t)
		_, _ = far.Write([]byte("PRI"))
		_ = far.Close()
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if match, err := PeekPrefix(c, prefix); match || err == nil {
			t.Fatalf("match %v, err %v", match, err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		c, _ := nettest.Pair(t)
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if match, err := PeekPrefix(c, prefix); match || err == nil {
			t.Fatalf("match %v, err %v", match, err)
		}
	})
}
