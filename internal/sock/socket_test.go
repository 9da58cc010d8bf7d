package sock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/nettest"
	"github.com/premier-gateway/premier/internal/watchdog"
)

// rawConn is a watched connection whose reads and writes go through a
// Socket, as the gateway's backend and client connections do.
type rawConn struct {
	*watchdog.Conn
	sock Socket
}

func (c *rawConn) Read(p []byte) (int, error) {
	if !RawIO {
		return c.Conn.Read(p)
	}
	return c.sock.Read(p)
}

func (c *rawConn) Write(p []byte) (int, error) {
	if !RawIO {
		return c.Conn.Write(p)
	}
	return c.sock.Write(p)
}

// rawPair returns a rawConn over a real loopback connection and the plain
// far side.
func rawPair(t *testing.T) (*rawConn, *net.TCPConn) {
	t.Helper()
	c, far := nettest.Pair(t)
	w := watchdog.New(0)
	wc := w.Wrap(c)
	raw := RawConnOf(wc)
	if raw == nil {
		t.Fatal("no raw socket under a TCP connection")
	}
	bc := &rawConn{Conn: wc}
	bc.sock.Init(raw, wc)
	t.Cleanup(func() { bc.Close(); w.Close() })
	return bc, far
}

// isTimeout reports a deadline's error as net.Error says.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestRawSocketMovesBytesBothWays(t *testing.T) {
	bc, far := rawPair(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB: the socket fills, the write waits
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(io.LimitReader(far, int64(len(big)))); got <- b }()
	if n, err := bc.Write(big); n != len(big) || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatal("the far side read other bytes")
	}
	go func() { _, _ = far.Write(big) }()
	b, err := io.ReadAll(io.LimitReader(bc, int64(len(big))))
	if err != nil || !bytes.Equal(b, big) {
		t.Fatalf("read back %d bytes, %v", len(b), err)
	}
}

func TestRawSocketErrorsAsGoReportsThem(t *testing.T) {
	bc, far := rawPair(t)
	_ = bc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := bc.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) || !isTimeout(err) {
		t.Fatalf("read past the deadline: %v", err)
	}
	_ = bc.SetReadDeadline(time.Time{})
	_ = far.CloseWrite()
	if _, err := bc.Read(make([]byte, 8)); err != io.EOF {
		t.Fatalf("read after the far side's FIN: %v, want io.EOF", err)
	}
	_ = far.SetLinger(0)
	far.Close() // RST
	time.Sleep(20 * time.Millisecond)
	var err error
	for i := 0; i < 3 && err == nil; i++ { // the first write may still be taken
		_, err = bc.Write([]byte("x"))
	}
	var op *net.OpError
	if !errors.As(err, &op) || !(errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
		t.Fatalf("write to a reset connection: %v (%T), want a *net.OpError with ECONNRESET/EPIPE", err, err)
	}
	bc.Close()
	if _, err := bc.Read(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after Close: %v", err)
	}
}

// Writers on several goroutines (a WebSocket relay's) each get their bytes
// out whole and contiguous, as with Go's own sockets.
func TestRawSocketConcurrentWriters(t *testing.T) {
	bc, far := rawPair(t)
	const writers, blocks, size = 4, 16, 64 << 10
	done := make(chan error, writers)
	for w := 0; w < writers; w++ {
		go func(id byte) {
			b := bytes.Repeat([]byte{'a' + id}, size)
			for i := 0; i < blocks; i++ {
				if _, err := bc.Write(b); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(byte(w))
	}
	buf := make([]byte, size)
	for i := 0; i < writers*blocks; i++ {
		if _, err := io.ReadFull(far, buf); err != nil {
			t.Fatal(err)
		}
		if bytes.Count(buf, buf[:1]) != size {
			t.Fatalf("block %d mixes writers' bytes", i)
		}
	}
	for w := 0; w < writers; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
