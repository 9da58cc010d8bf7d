package resilience

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// State is a breaker's state.
type State uint8

const (
	// Closed lets every call through and counts failures (consecutive, or
	// their share of a window when a failure rate is set).
	Closed State = iota
	// Open rejects every call with ErrOpen until RecoveryTimeout passes.
	Open
	// HalfOpen has let exactly one probe call through and waits for it.
	HalfOpen
)

// String returns "closed", "open" or "half-open".
func (s State) String() string {
	switch s {
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return "closed"
}

// MarshalText writes the state as String does (JSON shows "open").
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Severity orders states from healthy to failing: 0 closed, 1 half-open,
// 2 open (the value of the premier_circuit_state metric).
func (s State) Severity() int {
	switch s {
	case Open:
		return 2
	case HalfOpen:
		return 1
	}
	return 0
}

// Transition is one state change, for the dashboard's timeline.
type Transition struct {
	At   time.Time `json:"at"`
	From State     `json:"from"`
	To   State     `json:"to"`
}

// timelineSize is how many transitions a breaker remembers.
const timelineSize = 16

// Ticket identifies the breaker generation a call was let through in, so
// that a result arriving after the breaker moved on is ignored.
type Ticket uint64

// Breaker is a lock-free circuit breaker. Closed, it lets calls through and
// opens after FailureThreshold consecutive failures or, when FailureRate is
// set, once at least MinRequests outcomes were seen and the failed share of
// the last max(MinRequests, RateWindowSize) reaches FailureRate (the window
// starts empty, and again each time the breaker closes); open, it fails fast
// with ErrOpen; after RecoveryTimeout it lets exactly one probe through
// (half-open): the probe's success closes it, its failure re-opens it. A
// probe that never reports back is replaced after another RecoveryTimeout.
//
// Every state change starts a new generation; results of calls let through
// in an older generation are ignored (see Acquire), so a slow success from
// before an opening cannot close the breaker. The closed path costs one or
// two atomic loads (with a failure rate, two atomic updates of the window)
// and no allocation.
type Breaker struct {
	// word is generation<<2 | State.
	word      atomic.Uint64
	failures  atomic.Int64
	since     atomic.Int64 // ns since epoch of the last opening or probe
	threshold int64
	window    *rateWindow // nil: consecutive failures count
	recovery  int64       // ns
	expected  string

	clock    func() time.Time
	epoch    time.Time
	onChange func(from, to State)

	mu       sync.Mutex // guards the timeline only (state changes are rare)
	timeline [timelineSize]Transition
	nEvents  int
}

// BreakerOption configures a Breaker.
type BreakerOption func(*Breaker)

// WithClock replaces time.Now (for tests).
func WithClock(now func() time.Time) BreakerOption { return func(b *Breaker) { b.clock = now } }

// OnStateChange registers fn, called after every state change by the
// goroutine that caused it. Keep it short (log, count): it runs on the
// request path.
func OnStateChange(fn func(from, to State)) BreakerOption {
	return func(b *Breaker) { b.onChange = fn }
}

// NewBreaker returns a closed breaker. cfg should be valid; a
// FailureThreshold below 1 counts as 1, a FailureRate above 1 as 1 and a
// MinRequests outside 1..MaxMinRequests as the nearest bound (0:
// DefaultMinRequests).
func NewBreaker(cfg BreakerConfig, opts ...BreakerOption) *Breaker {
	b := &Breaker{
		threshold: max(int64(cfg.FailureThreshold), 1),
		recovery:  int64(cfg.RecoveryTimeout * float64(time.Second)),
		clock:     time.Now,
		expected:  cfg.ExpectedException,
	}
	if cfg.FailureRate > 0 {
		n := min(max(cfg.MinRequestsOrDefault(), 1), MaxMinRequests)
		b.window = newRateWindow(n, min(cfg.FailureRate, 1))
	}
	for _, o := range opts {
		o(b)
	}
	b.epoch = b.clock()
	return b
}

func (b *Breaker) now() int64 { return int64(b.clock().Sub(b.epoch)) }

func pack(gen uint64, s State) uint64 { return gen<<2 | uint64(s) }
func unpack(w uint64) (uint64, State) { return w >> 2, State(w & 3) }

// Acquire asks to make a call. It returns ErrOpen when the breaker is open
// (or half-open with its probe out); otherwise the caller makes the call and
// reports it with Release and the ticket.
func (b *Breaker) Acquire() (Ticket, error) {
	w := b.word.Load()
	gen, s := unpack(w)
	if s == Closed {
		return Ticket(w), nil
	}
	// Open, or half-open with a probe out: after RecoveryTimeout the
	// winner of one CAS becomes the (next) probe.
	now := b.now()
	if now-b.since.Load() < b.recovery {
		return 0, ErrOpen
	}
	// since is written before the CAS so that nobody sees the new state
	// with the old time; if the CAS fails the word moved on and since is
	// rewritten by whoever moves it next.
	next := pack(gen+1, HalfOpen)
	b.since.Store(now)
	if !b.word.CompareAndSwap(w, next) {
		return 0, ErrOpen
	}
	b.changed(s, HalfOpen)
	return Ticket(next), nil
}

// Release reports the result of a call let through with ticket t. Results
// from an older generation are ignored.
func (b *Breaker) Release(t Ticket, success bool) {
	w := b.word.Load()
	if uint64(t) != w {
		return
	}
	gen, s := unpack(w)
	switch s {
	case Closed:
		if b.window != nil {
			if b.window.record(!success) {
				b.trip(w, gen, Closed)
			}
			return
		}
		if success {
			if b.failures.Load() != 0 {
				b.failures.Store(0)
			}
			return
		}
		if b.failures.Add(1) >= b.threshold {
			b.trip(w, gen, Closed)
		}
	case HalfOpen:
		if success {
			b.failures.Store(0)
			if b.window != nil {
				b.window.reset() // judge the recovered backend on fresh outcomes
			}
			if b.word.CompareAndSwap(w, pack(gen+1, Closed)) {
				b.changed(HalfOpen, Closed)
			}
			return
		}
		b.trip(w, gen, HalfOpen)
	}
}

// trip opens the breaker if it is still in word w.
func (b *Breaker) trip(w, gen uint64, from State) {
	b.since.Store(b.now()) // before the CAS, as in Acquire
	if b.word.CompareAndSwap(w, pack(gen+1, Open)) {
		b.changed(from, Open)
	}
}

// Allow is Acquire without a ticket: pair it with Done. Prefer
// Acquire/Release where the ticket can be carried, since Done cannot tell
// a stale result from the current generation's.
func (b *Breaker) Allow() error {
	_, err := b.Acquire()
	return err
}

// Done reports a call let through by Allow, as a result of the current
// generation.
func (b *Breaker) Done(success bool) { b.Release(Ticket(b.word.Load()), success) }

// State returns the current state.
func (b *Breaker) State() State {
	_, s := unpack(b.word.Load())
	return s
}

// Failures is the current run of consecutive failures while closed or,
// with a failure rate, the failures the window holds.
func (b *Breaker) Failures() int {
	if b.window != nil {
		return b.window.failures()
	}
	return int(b.failures.Load())
}

// RetryAfter is how long until an open breaker lets a probe through: 0
// when closed or when a probe may go now. Suits a Retry-After header.
func (b *Breaker) RetryAfter() time.Duration {
	if b.State() == Closed {
		return 0
	}
	return time.Duration(max(b.recovery-(b.now()-b.since.Load()), 0))
}

// Transitions returns the latest state changes, oldest first (at most 16).
func (b *Breaker) Transitions() []Transition {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(b.nEvents, timelineSize)
	out := make([]Transition, 0, n)
	for i := b.nEvents - n; i < b.nEvents; i++ {
		out = append(out, b.timeline[i%timelineSize])
	}
	return out
}

func (b *Breaker) changed(from, to State) {
	b.mu.Lock()
	b.timeline[b.nEvents%timelineSize] = Transition{
		At: b.clock(), From: from, To: to,
	}
	b.nEvents++
	b.mu.Unlock()
	if b.onChange != nil {
		b.onChange(from, to)
	}
}

// Call runs fn through breaker b: it returns ErrOpen without calling fn
// when the breaker is open. An error counts as a failure when its Classify
// kind matches the breaker's ExpectedException; other errors, and the
// caller's own context.Canceled, count as successes (the callee answered).
// A panic in fn counts as a failure and is re-raised.
func Call[T any](ctx context.Context, b *Breaker, fn func(context.Context) (T, error)) (v T, err error) {
	t, err := b.Acquire()
	if err != nil {
		return v, err
	}
	released := false
	defer func() {
		if !released {
			b.Release(t, false) // fn panicked
		}
	}()
	v, err = fn(ctx)
	released = true
	b.Release(t, !b.failure(err))
	return v, err
}

// failure reports whether err counts against the breaker.
func (b *Breaker) failure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	return matchKind(b.expected, Classify(err))
}
