//go:build linux

package sock

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/nettest"
	"github.com/premier-gateway/premier/internal/watchdog"
)

// connPair returns the server side of a real loopback TCP connection,
// wrapped as the gateway's listener wraps what it accepts, and the client
// side.
func connPair(t *testing.T, w *watchdog.Watchdog) (net.Conn, net.Conn) {
	t.Helper()
	client, server := nettest.Pair(t)
	s := NewClientConn(w.Wrap(server))
	t.Cleanup(func() { s.Close() })
	return s, client
}

// newWatchdog returns a running watchdog, stopped when the test ends.
func newWatchdog(t *testing.T) *watchdog.Watchdog {
	t.Helper()
	w := watchdog.New(0)
	t.Cleanup(w.Close)
	return w
}

// answer marks the next write of s as a finished response and writes it.
func answer(t testing.TB, s net.Conn, msg string) {
	t.Helper()
	s.(*ClientConn).hold.Store(true)
	if _, err := io.WriteString(s, msg); err != nil {
		t.Fatal(err)
	}
}

func readN(t testing.TB, c net.Conn, n int) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return string(b)
}

// A held response reaches the client when the next Read waits, and the
// request that answer prompts is read.
func TestHeldResponseGoesOutWithTheNextRead(t *testing.T) {
	s, c := connPair(t, newWatchdog(t))
	for i := 0; i < 50; i++ {
		answer(t, s, "pong")
		if s.(*ClientConn).held.Load() == nil {
			t.Fatal("a marked response was written at once, not held")
		}
		go func() {
			if readN(t, c, 4) == "pong" {
				_, _ = io.WriteString(c, "ping")
			}
		}()
		if got := readN(t, s, 4); got != "ping" {
			t.Fatalf("round %d: server read %q", i, got)
		}
	}
}

// Bytes the client sent before the wait began (it sent ahead) raise no
// readiness; the watchdog's stall check wakes the wait within a few ticks,
// and the connection holds nothing from then on.
func TestStallCheckWakesAWaitOnBytesAlreadyThere(t *testing.T) {
	w := newWatchdog(t)
	s, c := connPair(t, w)
	answer(t, s, "one!")
	if _, err := io.WriteString(c, "next"); err != nil { // before the server waits
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // "next" is in the socket before Read starts
	began := time.Now()
	if got := readN(t, s, 4); got != "next" {
		t.Fatalf("server read %q", got)
	}
	if took := time.Since(began); took > 40*w.Tick() { // without the check: the 5 s read deadline
		t.Fatalf("the wait took %v: the stall check did not wake it", took)
	}
	if got := readN(t, c, 4); got != "one!" {
		t.Fatalf("client read %q", got)
	}
	cc := s.(*ClientConn)
	if !cc.noHold.Load() {
		t.Fatal("a client that sends ahead still gets held responses")
	}
	answer(t, s, "two!")
	if cc.held.Load() != nil {
		t.Fatal("response held on a connection marked noHold")
	}
	if got := readN(t, c, 4); got != "two!" {
		t.Fatalf("client read %q", got)
	}
}

func TestHeldResponseSentOnCloseAndBeforeLaterWrites(t *testing.T) {
	s, c := connPair(t, newWatchdog(t))
	answer(t, s, "held;")
	if _, err := io.WriteString(s, "after;"); err != nil {
		t.Fatal(err)
	}
	answer(t, s, "last")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "held;after;last" {
		t.Fatalf("client got %q, %v; want every write, in order, then EOF", b, err)
	}
}

func TestLargeWritesAreNotHeld(t *testing.T) {
	s, c := connPair(t, newWatchdog(t))
	big := strings.Repeat("x", HeldMax+1)
	go func() { answer(t, s, big) }()
	if got := readN(t, c, len(big)); got != big {
		t.Fatal("large response garbled")
	}
	if s.(*ClientConn).held.Load() != nil {
		t.Fatal("a write over HeldMax was held")
	}
}

// With the watchdog stopped nobody would catch a missed wake-up: a held
// response is written and the read is an ordinary one.
func TestHeldResponseWithoutWatchdogReadsNormally(t *testing.T) {
	w := newWatchdog(t)
	s, c := connPair(t, w)
	answer(t, s, "pong")
	if _, err := io.WriteString(c, "ping"); err != nil { // already there when Read starts
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	w.Close()
	if got := readN(t, s, 4); got != "ping" {
		t.Fatalf("server read %q", got)
	}
	if got := readN(t, c, 4); got != "pong" {
		t.Fatalf("client read %q", got)
	}
}
