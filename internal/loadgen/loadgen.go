package loadgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options of a run.
type Options struct {
	Addr      string        // host:port
	Path      string        // request target; "/" when empty
	Host      string        // Host header; Addr when empty
	KeepAlive int           // connections that are kept alive across requests
	NewConn   int           // connections opened anew for each request (and closed after it)
	Timeout   time.Duration // per request, from connect to the last body byte; 10 s when 0
	// Rate paces the run: requests a second over all its clients, each
	// client sending on its own schedule (Rate ÷ clients a second) and
	// skipping the slots it fell behind on. 0: as fast as answered.
	Rate float64
}

// Stats count the requests of a run. Sent = OK + Failed + ConnErrors once
// the run is stopped (a request in flight is counted when it ends).
type Stats struct {
	Sent       int64 // requests attempted
	OK         int64 // answered 2xx
	Failed     int64 // answered with another status
	ConnErrors int64 // no complete answer: connect, write or read failed
	NewConns   int64 // connections opened
}

func (s Stats) String() string {
	return fmt.Sprintf("sent=%d ok=%d failed=%d conn_errors=%d conns=%d", s.Sent, s.OK, s.Failed, s.ConnErrors, s.NewConns)
}

// Run is a generator running; Stop ends it.
type Run struct {
	o    Options
	req  []byte
	stop atomic.Bool
	wg   sync.WaitGroup

	sent, ok, failed, connErrs, conns atomic.Int64

	mu     sync.Mutex
	errors []string // the first few failures, for a test's message
}

// maxErrors is how many failure descriptions a run keeps.
const maxErrors = 10

// Start starts o.KeepAlive + o.NewConn clients against o.Addr.
func Start(o Options) *Run {
	if o.Path == "" {
		o.Path = "/"
	}
	if o.Host == "" {
		o.Host = o.Addr
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	r := &Run{o: o}
	r.req = fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: premier-loadgen\r\n\r\n", o.Path, o.Host)
	for i := 0; i < o.KeepAlive+o.NewConn; i++ {
		r.wg.Add(1)
		go r.client(i >= o.KeepAlive)
	}
	return r
}

// Stats is a snapshot of the counts so far.
func (r *Run) Stats() Stats {
	return Stats{Sent: r.sent.Load(), OK: r.ok.Load(), Failed: r.failed.Load(), ConnErrors: r.connErrs.Load(), NewConns: r.conns.Load()}
}

// Stop lets every request in flight finish, ends the clients and returns
// the final counts.
func (r *Run) Stop() Stats {
	r.stop.Store(true)
	r.wg.Wait()
	return r.Stats()
}

// Errors are the first failures seen (status or connection error), each
// with what happened.
func (r *Run) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

func (r *Run) note(format string, args ...any) {
	r.mu.Lock()
	if len(r.errors) < maxErrors {
		r.errors = append(r.errors, time.Now().Format("15:04:05.000000 ")+fmt.Sprintf(format, args...))
	}
	r.mu.Unlock()
}

// client sends requests until the run stops: on one connection while it
// lasts (keep-alive), or on a new connection each time.
func (r *Run) client(fresh bool) {
	defer r.wg.Done()
	var c net.Conn
	var br *bufio.Reader
	defer func() {
		if c != nil {
			_ = c.Close()
		}
	}()
	var every time.Duration
	next := time.Now()
	if r.o.Rate > 0 {
		every = time.Duration(float64(r.o.KeepAlive+r.o.NewConn) / r.o.Rate * float64(time.Second))
		next = next.Add(time.Duration(rand.Int64N(int64(every)))) // the clients spread over one interval
	}
	for !r.stop.Load() {
		if every > 0 {
			if wait := time.Until(next); wait > 0 {
				time.Sleep(wait)
			}
			next = next.Add(every)
			if now := time.Now(); next.Before(now) {
				next = now // behind: skip the missed slots instead of bursting
			}
		}
		r.sent.Add(1)
		reused := c != nil
		if c == nil {
			var err error
			c, err = net.DialTimeout("tcp", r.o.Addr, r.o.Timeout)
			if err != nil {
				r.connErrs.Add(1)
				r.note("connect: %v", err)
				c = nil
				time.Sleep(time.Millisecond) // a refused connect returns at once
				continue
			}
			r.conns.Add(1)
			br = bufio.NewReader(c)
		}
		keep, err := r.exchange(c, br)
		switch {
		case err != nil:
			r.connErrs.Add(1)
			r.note("request on a %s connection: %v", map[bool]string{true: "reused", false: "new"}[reused], err)
		case !keep || fresh:
		default:
			continue
		}
		_ = c.Close()
		c = nil
	}
}

// exchange sends one request and reads its whole answer; keep says the
// connection may carry another. A status other than 2xx is counted here.
func (r *Run) exchange(c net.Conn, br *bufio.Reader) (keep bool, err error) {
	_ = c.SetDeadline(time.Now().Add(r.o.Timeout))
	if _, err := c.Write(r.req); err != nil {
		return false, fmt.Errorf("write: %w", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return false, fmt.Errorf("read head: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return false, fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		r.ok.Add(1)
	} else {
		r.failed.Add(1)
		r.note("status %d", resp.StatusCode)
	}
	return !resp.Close, nil
}
