package watchdog

// A read wait that skips Go's first read attempt (sock.ClientConn
// writes a response and then waits for the next request without trying a
// read) can miss its wake-up: bytes that arrived before the wait began
// raise no new readiness event, and the wait would sleep until its
// deadline. The connection marks such a wait with BeginWait and EndWait;
// the watchdog calls the connection's stall check, once, for a wait still
// marked after a whole tick (so 25–50 ms in), outside its lock. The check
// finds out whether bytes are waiting and, if so, makes the socket report
// them.

// OnStall sets the stall check; set it before the first BeginWait.
func (c *Conn) OnStall(check func()) { c.onStall = check }

// BeginWait marks a read wait that may miss its wake-up. It returns false,
// marking nothing, when the watchdog no longer runs: the caller must then
// wait the ordinary way.
func (c *Conn) BeginWait() bool {
	if c.wd.closed.Load() || c.onStall == nil {
		return false
	}
	c.waitFrom.Store(c.wd.now.Load())
	return true
}

// EndWait clears the mark set by BeginWait.
func (c *Conn) EndWait() { c.waitFrom.Store(0) }

// stalled reports whether c's marked wait began before the tick at prev,
// unmarking it so the check runs once per wait.
func (c *Conn) stalled(prev int64) bool {
	from := c.waitFrom.Load()
	return from != 0 && from < prev && c.onStall != nil && c.waitFrom.CompareAndSwap(from, 0)
}
