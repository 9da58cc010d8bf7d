package watchdog

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/nettest"
)

// pair returns a watched client connection and the raw server side of a
// real loopback TCP connection.
func pair(t *testing.T, w *Watchdog) (*Conn, net.Conn) {
	t.Helper()
	c, s := nettest.Pair(t)
	wc := w.Wrap(c)
	t.Cleanup(func() { wc.Close() })
	return wc, s
}

func newWatchdog(t *testing.T) *Watchdog {
	w := New(20 * time.Millisecond)
	t.Cleanup(w.Close)
	return w
}

// readErr reads one byte and reports the error and how long it took.
func readErr(c net.Conn) (time.Duration, error) {
	start := time.Now()
	_, err := c.Read(make([]byte, 1))
	return time.Since(start), err
}

func TestFarReadDeadlineFiresLateNeverEarly(t *testing.T) {
	w := newWatchdog(t)
	c, _ := pair(t, w)
	const d = 150 * time.Millisecond
	start := time.Now()
	if err := c.SetReadDeadline(start.Add(d)); err != nil {
		t.Fatal(err)
	}
	_, err := readErr(c)
	took := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read error = %v, want a deadline error", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("error %v is not a net.Error timeout", err)
	}
	if took < d || took > 20*time.Second { // late under load, but it fires
		t.Fatalf("deadline %v fired after %v", d, took)
	}
}

func TestMovedDeadlineKeepsReadAlive(t *testing.T) {
	w := newWatchdog(t)
	c, s := pair(t, w)
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	time.Sleep(60 * time.Millisecond)
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	go func() {
		time.Sleep(200 * time.Millisecond) // after the first deadline
		_, _ = s.Write([]byte("x"))
	}()
	if _, err := readErr(c); err != nil {
		t.Fatalf("read after moving the deadline: %v", err)
	}
}

func TestExpiredThenNewDeadlineClearsSocket(t *testing.T) {
	w := newWatchdog(t)
	c, s := pair(t, w)
	_ = c.SetReadDeadline(time.Now().Add(60 * time.Millisecond))
	if _, err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("want deadline error, got %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = s.Write([]byte("x"))
	if _, err := readErr(c); err != nil {
		t.Fatalf("read after a new deadline: %v", err)
	}
	// A zero deadline clears too.
	_ = c.SetReadDeadline(time.Now().Add(60 * time.Millisecond))
	if _, err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("want deadline error, got %v", err)
	}
	_ = c.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(150 * time.Millisecond)
		_, _ = s.Write([]byte("y"))
	}()
	if took, err := readErr(c); err != nil || took < 100*time.Millisecond {
		t.Fatalf("read without deadline: %v after %v", err, took)
	}
}

func TestNearAndPastDeadlinesArePrecise(t *testing.T) {
	w := New(time.Hour) // the watchdog never ticks: only the socket can fire
	defer w.Close()
	c, _ := pair(t, w)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if took, err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) || took > 20*time.Second {
		t.Fatalf("near deadline: %v after %v", err, took)
	}
	_ = c.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past deadline: %v", err)
	}
}

func TestZeroDeadlineMeansNone(t *testing.T) {
	w := newWatchdog(t)
	c, s := pair(t, w)
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_ = c.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(200 * time.Millisecond)
		_, _ = s.Write([]byte("x"))
	}()
	if _, err := readErr(c); err != nil {
		t.Fatalf("cleared deadline still fired: %v", err)
	}
}

func TestFarWriteDeadlineFires(t *testing.T) {
	w := newWatchdog(t)
	c, _ := pair(t, w) // the peer never reads: writes block once buffers fill
	start := time.Now()
	_ = c.SetWriteDeadline(start.Add(150 * time.Millisecond))
	buf := make([]byte, 1<<20)
	var err error
	for err == nil && time.Since(start) < 30*time.Second {
		_, err = c.Write(buf)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write error = %v, want a deadline error", err)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Fatalf("write deadline fired early, after %v", took)
	}
}

func TestSetDeadlineCoversBothDirections(t *testing.T) {
	w := newWatchdog(t)
	c, _ := pair(t, w)
	_ = c.SetDeadline(time.Now().Add(80 * time.Millisecond))
	if _, err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v", err)
	}
	buf := make([]byte, 1<<20)
	var err error
	for err == nil {
		_, err = c.Write(buf)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write: %v", err)
	}
}

func TestCloseStopsWatching(t *testing.T) {
	w := newWatchdog(t)
	a, _ := pair(t, w)
	b, _ := pair(t, w)
	c, _ := pair(t, w)
	if n := w.Len(); n != 3 {
		t.Fatalf("watching %d, want 3", n)
	}
	b.Close()
	b.Close() // twice is harmless
	if n := w.Len(); n != 2 {
		t.Fatalf("watching %d after a close, want 2", n)
	}
	a.Close()
	c.Close()
	if n := w.Len(); n != 0 {
		t.Fatalf("watching %d after closing all, want 0", n)
	}
}

func TestClosedWatchdogHandsDeadlinesToSockets(t *testing.T) {
	w := New(time.Hour)
	c, _ := pair(t, w)
	_ = c.SetReadDeadline(time.Now().Add(150 * time.Millisecond)) // recorded, far
	w.Close()
	if took, err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) || took > 20*time.Second {
		t.Fatalf("after Close: %v after %v", err, took)
	}
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)) // straight to the socket
	if _, err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("set after Close: %v", err)
	}
}

func TestCoarseNowAdvances(t *testing.T) {
	w := newWatchdog(t)
	c, _ := pair(t, w)
	if c.Watchdog() != w {
		t.Fatal("Conn.Watchdog is not its watchdog")
	}
	first := w.Now()
	if d := time.Now().UnixNano() - first; d < 0 || d > int64(2*time.Second) {
		t.Fatalf("coarse clock %v away from the real one", time.Duration(d))
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.Now() == first {
		if time.Now().After(deadline) {
			t.Fatal("the coarse clock never advanced")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOnCloseRunsOnce(t *testing.T) {
	w := newWatchdog(t)
	c, _ := pair(t, w)
	n := 0
	c.OnClose(func() { n++ })
	_ = c.Close()
	_ = c.Close()
	if n != 1 {
		t.Fatalf("OnClose ran %d times, want 1", n)
	}
}
