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
// deposits ratio of a token, every retry withdraws one, and the balance is
// capped at BudgetBurst tokens, so "recent" means roughly the last
// BudgetBurst/ratio requests. A floor of MinRetriesPerSecond tokens per
// second (refilled lazily on TryRetry) lets a quiet backend still retry.
// With ratio 0 only the floor remains. Lock-free; OnRequest is one atomic
// load when the bucket is full, and neither method allocates.
type Budget struct {
	balance atomic.Int64 // milli-tokens
	refill  atomic.Int64 // ns since epoch of the last floor refill
	deposit int64
	perSec  int64
	clock   func() time.Time
	epoch   time.Time
}

const (
	// BudgetBurst is the most retries a Budget holds in reserve.
	BudgetBurst = 10
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
	return b
}

// OnRequest records one request (attempt) to the guarded backend.
func (b *Budget) OnRequest() {
	if b.deposit > 0 && b.balance.Load() < budgetLimit {
		b.balance.Add(b.deposit) // may overshoot the cap by a few deposits
	}
}

// TryRetry reports whether one retry fits in the budget, and spends it.
func (b *Budget) TryRetry() bool {
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
			next := min(cur+add, max(cur, budgetLimit))
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
