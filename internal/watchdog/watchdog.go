package watchdog

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTick is the check interval used when New is given zero.
const DefaultTick = 25 * time.Millisecond

// Watchdog owns the connections it wraps and one goroutine that expires
// their deadlines. Close stops it; connections wrapped after Close pass
// every deadline straight to the socket.
type Watchdog struct {
	tick   time.Duration
	now    atomic.Int64 // coarse clock: Unix nanoseconds at the last tick
	closed atomic.Bool

	mu      sync.Mutex
	conns   []*Conn
	stalled []*Conn // scratch of sweep, owned by the run goroutine

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New starts a watchdog that checks its connections every tick
// (DefaultTick when tick <= 0).
func New(tick time.Duration) *Watchdog {
	if tick <= 0 {
		tick = DefaultTick
	}
	w := &Watchdog{tick: tick, stop: make(chan struct{}), done: make(chan struct{})}
	w.now.Store(time.Now().UnixNano())
	go w.run()
	return w
}

// Now is the watchdog's coarse clock in Unix nanoseconds: the time of its
// last tick, so at most one tick old. Reading it costs an atomic load.
func (w *Watchdog) Now() int64 { return w.now.Load() }

// Tick is the check interval: a far deadline fires at most this late.
func (w *Watchdog) Tick() time.Duration { return w.tick }

// Close stops the watchdog's goroutine and waits for it. Connections keep
// working; their deadlines go to the socket from then on.
func (w *Watchdog) Close() {
	w.once.Do(func() {
		w.closed.Store(true)
		close(w.stop)
		<-w.done
		// Hand any still-recorded deadline to its socket so it is kept.
		w.mu.Lock()
		for _, c := range w.conns {
			c.r.handOver(c, true)
			c.w.handOver(c, false)
		}
		w.mu.Unlock()
	})
}

// Len is the number of connections the watchdog currently watches.
func (w *Watchdog) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.conns)
}

func (w *Watchdog) run() {
	defer close(w.done)
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			ns := now.UnixNano()
			prev := w.now.Swap(ns)
			w.sweep(ns, prev)
		}
	}
}

// sweep fails the blocked operations of every connection whose recorded
// deadline has passed, then runs the stall check of every connection whose
// marked read wait began before the previous tick (prev).
func (w *Watchdog) sweep(now, prev int64) {
	w.mu.Lock()
	for _, c := range w.conns {
		c.r.expire(c, now, true)
		c.w.expire(c, now, false)
		if c.stalled(prev) {
			w.stalled = append(w.stalled, c)
		}
	}
	w.mu.Unlock()
	for i, c := range w.stalled {
		c.onStall()
		w.stalled[i] = nil
	}
	w.stalled = w.stalled[:0]
}

// Wrap returns c watched by w. Closing the result stops watching it.
func (w *Watchdog) Wrap(c net.Conn) *Conn {
	wc := &Conn{Conn: c, wd: w}
	w.mu.Lock()
	wc.idx = len(w.conns)
	w.conns = append(w.conns, wc)
	w.mu.Unlock()
	return wc
}

func (w *Watchdog) remove(c *Conn) {
	w.mu.Lock()
	last := len(w.conns) - 1
	moved := w.conns[last]
	w.conns[c.idx] = moved
	moved.idx = c.idx
	w.conns[last] = nil
	w.conns = w.conns[:last]
	w.mu.Unlock()
}

// near reports whether the deadline ns is too close (or past) for the
// watchdog's coarse tick, so the socket should take it directly.
func (w *Watchdog) near(ns int64) bool {
	return w.closed.Load() || ns < w.now.Load()+2*int64(w.tick)
}
