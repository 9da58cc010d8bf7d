package upstream

import (
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// FreeBody is the largest response body read whole without a reservation
// from the body budget: every rule reads bodies this small whole, and the
// server's per-connection buffers bound them anyway. Only rules that read
// larger bodies whole (a cache's max_entry_bytes) reserve.
const FreeBody = 64 << 10

// BodyBudget bounds the bytes of bodies held whole in memory at once,
// across every request (limits.max_buffered_body_bytes): response bodies
// read whole (to fill the cache) and request bodies kept to be replayed
// by a retry. A reservation the budget cannot cover is refused, never
// waited for: the caller streams the body instead. Reserve and Release
// are lock-free and allocate nothing. A nil *BodyBudget refuses nothing.
type BodyBudget struct {
	limit atomic.Int64
	used  atomic.Int64
}

// SetLimit sets the most bytes held at once.
func (b *BodyBudget) SetLimit(n int64) { b.limit.Store(n) }

// Reserve takes n bytes from the budget and reports whether it could.
func (b *BodyBudget) Reserve(n int64) bool {
	if b == nil {
		return true
	}
	for {
		u := b.used.Load()
		if u+n > b.limit.Load() {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// Release gives back n bytes taken by Reserve.
func (b *BodyBudget) Release(n int64) {
	if b != nil {
		b.used.Add(-n)
	}
}

// take counts n bytes held whatever the limit: bytes already in memory.
func (b *BodyBudget) take(n int64) { b.used.Add(n) }

// Used is the bytes reserved now.
func (b *BodyBudget) Used() int64 { return b.used.Load() }

// Whole says which backend response bodies RoundTrip reads whole, and
// reports what it did with the one it got. The caller keeps one per
// request (no allocation) and passes it to every RoundTrip of it.
type Whole struct {
	// Max is the largest body read whole; larger and unknown-length bodies
	// stream.
	Max int
	// Budget is what bodies over FreeBody reserve their length from; one
	// it cannot cover streams. Nil: no reservation.
	Budget *BodyBudget
	// Held is the body read whole against Budget, which is also the
	// response's body (Response.SetBodyRaw). The caller owns its
	// reservation and gives back len(Held) (Release) once it no longer
	// holds the bytes; RoundTrip gives back one an earlier call left.
	Held []byte
	// Refused reports a body of Max or less that streams because Budget
	// was spent.
	Refused bool
}

// Release gives back the reservation of Held, if any.
func (w *Whole) Release() {
	if w.Held != nil {
		w.Budget.Release(int64(len(w.Held)))
		w.Held = nil
	}
}

// holdPipelined counts a pipelined response's body over FreeBody against
// the budget, as Held. A pipelined connection reads every response whole
// (up to pipelineMaxBody) before the next one, so such a body cannot be
// refused and streamed: it is counted whatever the limit, which holds the
// other holders back, and given back as any Held body is.
func (w *Whole) holdPipelined(resp *fasthttp.Response) {
	if w.Budget == nil || len(resp.Body()) <= FreeBody {
		return
	}
	body := resp.SwapBody(nil) // the caller may outlive the response's buffer
	resp.SetBodyRaw(body)
	w.Budget.take(int64(len(body)))
	w.Held = body
}

// reset starts an exchange: the response it fills drops any earlier body.
func (w *Whole) reset() {
	w.Release()
	w.Refused = false
}
