// Package watchdog enforces socket read and write deadlines from one
// goroutine on a coarse tick, instead of a runtime timer per deadline.
//
// A proxy moves every request's deadlines (the server's read, idle and
// write timeouts, the backend's read and write timeouts), and each move of
// a Go socket deadline re-arms a runtime timer — about a third of a
// microsecond apiece, over a microsecond per proxied request. A [Conn]
// made by [Watchdog.Wrap] only records a far deadline in an atomic word; the watchdog checks every
// connection once a tick and, for a deadline that has passed, sets a real
// deadline in the past, which fails the blocked read or write exactly as
// an expired socket deadline does. A deadline nearer than two ticks (or in
// the past) goes to the socket directly, so short timeouts stay precise.
//
// A far deadline therefore fires up to one tick late, never early.
//
// On the same tick the watchdog runs the stall check of a connection whose
// marked read wait ([Conn.BeginWait]) has lasted over a tick: a wait that
// skipped Go's first read attempt may have missed bytes already there.
package watchdog
