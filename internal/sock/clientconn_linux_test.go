package sock

import (
	"bytes"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
)

// readSyscalls is the process's count of read system calls so far
// (/proc/self/io syscr).
func readSyscalls(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("syscr: ")); ok {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no syscr in /proc/self/io")
	return 0
}

// pingPong runs rounds of: the server answers (held when hold), the client
// reads the answer and sends the next request, the server reads it. It
// returns the read system calls per round, both sides together.
func pingPong(t *testing.T, s, c net.Conn, hold bool, rounds int) float64 {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		b := make([]byte, 4)
		for i := 0; i < rounds; i++ {
			if _, err := io.ReadFull(c, b); err != nil {
				done <- err
				return
			}
			if _, err := c.Write(b); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	b := make([]byte, 4)
	before := readSyscalls(t)
	for i := 0; i < rounds; i++ {
		if hold {
			s.(*ClientConn).hold.Store(true)
		}
		if _, err := s.Write([]byte("pong")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(s, b); err != nil {
			t.Fatal(err)
		}
	}
	n := readSyscalls(t) - before
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return float64(n) / float64(rounds)
}

// TestHeldResponseSavesTheFutileRead: waiting for the next request after a
// held response costs no read system call that finds nothing — one read
// per round fewer than writing the response and then reading.
func TestHeldResponseSavesTheFutileRead(t *testing.T) {
	s, c := connPair(t, newWatchdog(t))
	const rounds = 2000
	pingPong(t, s, c, true, 100) // warm up
	plain := pingPong(t, s, c, false, rounds)
	held := pingPong(t, s, c, true, rounds)
	t.Logf("read system calls per round: %.2f written at once, %.2f held", plain, held)
	if plain-held < 0.7 {
		t.Fatalf("read system calls per round: %.2f written at once, %.2f held; want about one fewer", plain, held)
	}
}
