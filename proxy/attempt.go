package proxy

import (
	"errors"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/proxy/upstream"
	"github.com/premier-gateway/premier/resilience"
)

// exchanger is one kind of traffic the attempt loop drives: a forwarded
// HTTP request, the in-process app, a WebSocket upgrade's handshake.
type exchanger interface {
	// try makes one attempt on target i (an index into the plan's
	// backends; 0 for the app), begun at now and bounded by deadline (zero:
	// none). It returns the answer's status, or the error that left none.
	try(i int, now, deadline time.Time) (status int, err error)
	// discard drops a failed attempt's answer before the next attempt.
	discard()
}

// Errors an exchange reports that are not the backend's failure.
var (
	// errClientBody: the client's request body failed mid-way.
	errClientBody = errors.New("client body failed")
	// errAppPanicked: the in-process handler panicked (and was answered 500).
	errAppPanicked = errors.New("handler panicked")
)

// tried is what the attempt loop ends with: the target that answered
// last (-1 when none could be picked), and its status or error.
type tried struct {
	i      int
	status int
	err    error
}

// attempt runs x through the rule's one attempt loop: pick a target
// (client hash; health, passive ejection, breakers, targets already
// tried) → breaker ticket → budget → the exchange, bounded by the retry
// policy's per_try_timeout inside the request's deadline → classify (stats,
// passive health, breaker) → retry. Retries go to the target after the one
// that failed and never move the balancer's shared state. A failure that
// never reached the backend (refused, never written) is retried whatever
// the method; any other only when the request may be repeated. attempts
// is how many tries the request's body allows (see plan.attempts).
func (p *plan) attempt(g *Gateway, s *scratch, x exchanger, hash uint64, attempts int, repeatable bool, deadline time.Time) tried {
	f := &s.filter
	*f = attemptFilter{p: p, fresh: true, eject: p.ejector != nil}
	last := tried{i: -1}
	paused := false // this retry's pause is behind us
	for n := 1; ; n++ {
		f.now = time.Now()
		i := p.pick(f, hash, last.i)
		if i < 0 {
			return last // nothing (more) to try: the last answer stands
		}
		if last.i >= 0 && !paused {
			if !waitRetry(p.retry.WaitFor(n-1), deadline) {
				return last
			}
			paused = true
		}
		var ticket resilience.Ticket
		if p.breakers != nil {
			var err error
			if ticket, err = p.breakers[i].Acquire(); err != nil {
				f.refuse(i) // lost the race for the half-open probe: pick again
				n--
				continue
			}
		}
		s.tries = n
		if last.i >= 0 {
			x.discard() // the failed answer goes only once another attempt runs
		}
		paused = false
		began := time.Now()
		f.mark(i)
		if n == 1 && p.budgets != nil {
			// Client requests fund the budget, retries only spend it: a
			// 0.2 budget means at most 1.2 attempts per request (plus the
			// floor), not 1.25 with retries funding retries.
			p.budgets[i].OnRequest()
		}
		var b *lb.Backend
		if i < len(p.backends) {
			b = p.backends[i]
			b.Start()
		}
		s.trace.traceAttempt(p, i, n, began)
		status, err := x.try(i, began, p.tryDeadline(began, deadline))
		took := time.Since(began)
		s.trace.endAttempt(status, err)
		s.obs.Upstream += took
		last = tried{i: i, status: status, err: err}
		out := outcome(status, err)
		if b != nil {
			b.Done(took, out != lb.Succeeded && out != lb.NotTheBackend)
			if p.ejector != nil {
				p.ejector.Observe(i, out, began)
			}
		}
		if p.breakers != nil {
			p.breakers[i].Release(ticket, out == lb.NotTheBackend || !p.breakerFailure(err, status))
		}
		if err == errClientBody || !p.shouldRetry(err, status, n, attempts, repeatable) ||
			!p.budgets[i].TryRetry() {
			return last
		}
		if err != nil && b != nil && out != lb.NotTheBackend {
			g.backendFailures.note(b.URL, err, s.rid, p.name)
		}
	}
}

// pick chooses the target of the next attempt after after (-1: the first).
// The first attempt asks the balancer; a retry walks on from the target
// that failed. Ejected backends are left out while any other is usable:
// passive health never takes the last usable backend away.
func (p *plan) pick(f *attemptFilter, hash uint64, after int) int {
	if p.balancer == nil { // the app: one target, behind its breaker
		if f.fresh, f.eject = false, false; !f.Usable(0) {
			return -1
		}
		return 0
	}
	for _, level := range pickLevels {
		f.fresh, f.eject = level.fresh, level.eject && p.ejector != nil
		if after < 0 && !level.fresh {
			continue // nothing is tried yet on the first attempt
		}
		var i int
		if after < 0 {
			i = p.balancer.Pick(hash, f)
		} else {
			i = p.walk(f, after)
		}
		if i >= 0 {
			return i
		}
	}
	return -1
}

// pickLevels relax the filter one step at a time: first untried and not
// ejected, then tried again, then ejected ones too.
var pickLevels = [...]struct{ fresh, eject bool }{
	{true, true}, {false, true}, {true, false}, {false, false},
}

// attemptFilter is one request's view of which backends may be picked:
// healthy ones whose breaker lets a call through and, as the pick levels
// say, not ejected and not tried yet by this request. Backends beyond the
// 64th are never excluded as tried.
type attemptFilter struct {
	p       *plan
	now     time.Time
	tried   uint64 // bit i: backend i was tried
	refused uint64 // bit i: backend i's breaker refused this request
	fresh   bool   // leave out tried backends
	eject   bool   // leave out ejected backends
}

// Usable implements lb.Filter.
func (f *attemptFilter) Usable(i int) bool {
	if i < 64 {
		bit := uint64(1) << uint(i)
		if f.refused&bit != 0 || (f.fresh && f.tried&bit != 0) {
			return false
		}
	}
	if f.eject && f.p.backends[i].Ejected(f.now) {
		return false
	}
	if f.p.breakers == nil {
		return true
	}
	b := f.p.breakers[i]
	return b.State() == resilience.Closed || b.RetryAfter() <= 0
}

func (f *attemptFilter) mark(i int) {
	if i < 64 {
		f.tried |= 1 << uint(i)
	}
}

func (f *attemptFilter) refuse(i int) {
	if i < 64 {
		f.refused |= 1 << uint(i)
	}
}

// walk returns the first usable backend after after, round the ring.
func (p *plan) walk(f *attemptFilter, after int) int {
	n := len(p.backends)
	for k := 1; k <= n; k++ {
		i := (after + k) % n
		if p.backends[i].Healthy() && f.Usable(i) {
			return i
		}
	}
	return -1
}

// tryDeadline bounds one attempt begun at now: per_try_timeout inside the
// request's deadline.
func (p *plan) tryDeadline(now, deadline time.Time) time.Time {
	if p.perTry <= 0 {
		return deadline
	}
	if t := now.Add(p.perTry); deadline.IsZero() || t.Before(deadline) {
		return t
	}
	return deadline
}

// outcome classifies an attempt for health and stats.
func outcome(status int, err error) lb.Outcome {
	switch {
	case err == errClientBody || errors.Is(err, fasthttp.ErrNoFreeConns):
		// The client failed, or our own pool (max_conns_per_backend) is
		// full: neither says anything about the backend.
		return lb.NotTheBackend
	case err == errAppPanicked:
		return lb.ServerError
	case err != nil:
		return lb.GatewayFailure
	}
	return lb.OutcomeOf(status)
}

// attempts is how many tries a request's body allows: the retry policy's
// when the body can be replayed, else one. A body up to bufferedBodyBytes
// is kept for replay when the body budget covers it (s.replay holds the
// reservation until the handler ends); larger or chunked bodies, and any
// the budget cannot cover, stream once and are never retried.
func (p *plan) attempts(g *Gateway, s *scratch, req *fasthttp.Request) int {
	if p.retry == nil || p.retry.MaxAttempts < 2 {
		return 1
	}
	if req.IsBodyStream() {
		cl := req.Header.ContentLength()
		if cl < 0 || cl > bufferedBodyBytes {
			return 1
		}
		if cl > 0 {
			if !g.bodies.Reserve(int64(cl)) {
				return 1
			}
			s.replay += int64(cl)
		}
		// The body is already in memory behind the stream: make it the
		// request's plain body so every attempt writes it again.
		req.SwapBody(req.SwapBody(nil))
	}
	return p.retry.MaxAttempts
}

// repeatable reports whether the retry policy lets this request be sent
// again after a backend may have acted on it.
func (p *plan) repeatable(req *fasthttp.Request) bool {
	return p.retry != nil && p.retry.RetryMethod(req.Header.Method(), len(req.Header.Peek("Idempotency-Key")) > 0)
}

// shouldRetry reports whether attempt n, which ended with err or status,
// is tried again.
func (p *plan) shouldRetry(err error, status, n, attempts int, repeatable bool) bool {
	if n >= attempts {
		return false
	}
	if err != nil {
		return p.retry.RetryKind(resilience.Classify(err)) && (repeatable || upstream.NotSent(err))
	}
	return repeatable && p.retry.RetryStatus(status)
}

// breakerFailure reports whether an attempt counts against the breaker:
// connection errors, timeouts and 5xx, as ExpectedException selects.
func (p *plan) breakerFailure(err error, status int) bool {
	if err != nil {
		return p.breakerCfg.CountsKind(resilience.Classify(err))
	}
	return status >= 500 && p.breakerCfg.CountsKind(resilience.KindOther)
}

// waitRetry pauses before a retry; false when the pause would overrun the
// request's deadline.
func waitRetry(d time.Duration, deadline time.Time) bool {
	if !deadline.IsZero() && time.Until(deadline) <= d {
		return false
	}
	if d > 0 {
		time.Sleep(d)
	}
	return true
}
