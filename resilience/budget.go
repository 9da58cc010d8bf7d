package resilience

import (
	"sync/atomic"
	"time"
)

// Budget caps retries to a share of recent requests, so retries cannot
// multiply the load on a failing backend (a retry storm). The gateway keeps
// one Budget per backend: each attempt sent to the backend calls OnRequest,
// and a retry away from a failed attempt on the backend asks TryRetry first.
//
// It is a token bucket counted in requests rather than time: every request
// deposits ratio of a token and every retry withdraws one. The balance is
// capped at ratio of the requests of the last BudgetWindow (at the rate
// measured every 1024 requests and on retries), and at least BudgetBurst,
// so the requests in flight on a backend that dies at once can all be
// retried elsewhere, while a backend failing for longer drains the reserve
// and gets no more than ratio of its requests retried. A floor of
// MinRetriesPerSecond tokens per second (refilled lazily on TryRetry) lets a
// quiet backend still retry. With ratio 0 only the floor remains.
// Lock-free; OnRequest is two atomic operations when the bucket is full,
// and neither method allocates.
type Budget struct {
	balance atomic.Int64 // milli-tokens
	limit   atomic.Int64 // the balance's cap, milli-tokens
	sent    atomic.Int64 // requests counted since `since`
	since   atomic.Int64 // ns since epoch: the start of the current count
	refill  atomic.Int64 // ns since epoch of the last floor refill
	deposit int64
	perSec  int64
	clock   func() time.Time
	epoch   time.Time
}

const (
	// BudgetBurst is the least reserve a Budget's cap allows, in retries.
	BudgetBurst = 10
	// BudgetWindow is what "recent requests" means: the cap is ratio of
	// the requests this long takes at the measured rate.
	BudgetWindow = 10 * time.Second
	// measureEvery is how many requests pass between rate measurements.
	measureEvery = 1024
	// MinRetriesPerSecond is the Budget's floor.
	MinRetriesPerSecond = 3

	milli       = 1000
	budgetLimit = BudgetBurst * milli
)

// BudgetOption configures a Budget.
type BudgetOption func(*Budget)

// WithBudgetClock replaces time.Now (for tests).
func WithBudgetClock(now func() time.Time) BudgetOption { return func(b *Budget) { b.clock = now } }

// WithMinRetriesPerSecond sets the floor (default MinRetriesPerSecond; 0
// disables it).
func WithMinRetriesPerSecond(n int) BudgetOption {
	return func(b *Budget) { b.perSec = int64(max(n, 0)) * milli }
}

// NewBudget returns a full budget that lets retries be ratio (0..1, the
// retry block's budget) of requests.
func NewBudget(ratio float64, opts ...BudgetOption) *Budget {
	b := &Budget{
		deposit: int64(min(max(ratio, 0), 1) * milli),
		perSec:  MinRetriesPerSecond * milli,
		clock:   time.Now,
	}
	for _, o := range opts {
		o(b)
	}
	b.epoch = b.clock()
	b.balance.Store(budgetLimit)
	b.limit.Store(budgetLimit)
	return b
}

// OnRequest records one request (attempt) to the guarded backend.
func (b *Budget) OnRequest() {
	if b.deposit == 0 {
		return
	}
	if b.sent.Add(1)%measureEvery == 0 {
		b.measure()
	}
	if b.balance.Load() < b.limit.Load() {
		b.balance.Add(b.deposit) // may overshoot the cap by a few deposits
	}
}

// measure sets the cap from the request rate since the last measurement
// (at least a tenth of a second ago; sooner, the count goes on).
func (b *Budget) measure() {
	now := int64(b.clock().Sub(b.epoch))
	since := b.since.Load()
	elapsed := now - since
	if elapsed < int64(time.Second/10) || !b.since.CompareAndSwap(since, now) {
		return
	}
	n := b.sent.Swap(0)
	perWindow := n * int64(BudgetWindow/time.Millisecond) / (elapsed / int64(time.Millisecond))
	b.limit.Store(max(budgetLimit, perWindow*b.deposit))
}

// TryRetry reports whether one retry fits in the budget, and spends it.
func (b *Budget) TryRetry() bool {
	if b.deposit > 0 {
		b.measure()
	}
	if b.take() {
		return true
	}
	if b.perSec == 0 {
		return false
	}
	// Lazy floor refill: whoever moves the refill stamp adds the tokens.
	now := int64(b.clock().Sub(b.epoch))
	last := b.refill.Load()
	add := (now - last) * b.perSec / int64(time.Second)
	if add > 0 && b.refill.CompareAndSwap(last, now) {
		for {
			cur := b.balance.Load()
			next := min(cur+add, max(cur, budgetLimit)) // the floor refills the least reserve only
			if b.balance.CompareAndSwap(cur, next) {
				break
			}
		}
	}
	return b.take()
}

func (b *Budget) take() bool {
	for {
		cur := b.balance.Load()
		if cur < milli {
			return false
		}
		if b.balance.CompareAndSwap(cur, cur-milli) {
			return true
		}
	}
}

// Tokens is the number of retries the budget would allow now (for stats).
func (b *Budget) Tokens() float64 { return float64(b.balance.Load()) / milli }
