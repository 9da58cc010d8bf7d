package watchdog

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestStallCheckRunsOnceForALongWait(t *testing.T) {
	w := newWatchdog(t)
	c, _ := pair(t, w)
	var checks atomic.Int32
	c.OnStall(func() { checks.Add(1) })
	if !c.BeginWait() {
		t.Fatal("BeginWait refused on a running watchdog")
	}
	deadline := time.Now().Add(5 * time.Second)
	for checks.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no stall check for a wait marked for 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * w.Tick())
	if n := checks.Load(); n != 1 {
		t.Fatalf("%d stall checks for one wait, want 1", n)
	}
	c.EndWait()
}

func TestStallCheckSkipsEndedAndShortWaits(t *testing.T) {
	w := New(50 * time.Millisecond)
	defer w.Close()
	c, _ := pair(t, w)
	var checks atomic.Int32
	c.OnStall(func() { checks.Add(1) })
	for i := 0; i < 20; i++ { // waits far shorter than a tick
		c.BeginWait()
		time.Sleep(time.Millisecond)
		c.EndWait()
	}
	time.Sleep(4 * w.Tick())
	if n := checks.Load(); n != 0 {
		t.Fatalf("%d stall checks for waits that ended within a tick", n)
	}
}

func TestBeginWaitRefusedWithoutCheckOrWatchdog(t *testing.T) {
	w := New(time.Hour)
	c, _ := pair(t, w)
	if c.BeginWait() {
		t.Fatal("BeginWait accepted a connection with no stall check")
	}
	c.OnStall(func() {})
	w.Close()
	if c.BeginWait() {
		t.Fatal("BeginWait accepted after the watchdog closed: nobody would check the wait")
	}
}
