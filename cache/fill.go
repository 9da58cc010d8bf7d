package cache

import (
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// flight is one in-progress fetch that concurrent misses for its key wait
// for. entry is written before done is closed and read only after.
type flight struct {
	done    chan struct{}
	entry   *entry
	started time.Time // wall clock: a leader that never finishes is replaced
}

// Fill is a pending store: Lookup returns one on a miss, and the gateway
// calls Done once the backend response is in ctx.Response, or Abort if it
// has none. Exactly one of them should be called; later calls do nothing,
// and both are no-ops on a nil *Fill. A Fill is used by one goroutine.
type Fill struct {
	c     *Cache
	fl    *flight // nil: not a flight leader, nobody waits
	fh    uint64
	rs    *ruleState
	key   []byte // own copy
	h     uint64 // primary hash
	gen   uint64
	epoch uint64
	ttl   int64 // from Policy.ExpireS; 0: from the response
	reqAt int64 // when the request went to the backend (unix ns), for Age
	fwd   Fwd
	head  bool
	done  bool
	// overBudget: the body streams because the caller could not hold it
	// whole (OverBudget).
	overBudget bool
	// collapsed: the request waited for another's fetch whose response it
	// could not use (Cache-Status `collapsed=?0`, RFC 9211 §2.7).
	collapsed bool

	// Revalidation (revalidate.go): the stale entry and its hash, its
	// stale-if-error window, whether the request carries the cache's
	// conditions, and the client's own conditions they replaced.
	pol                  *Policy
	stale                *entry
	marker               *entry // the URI's marker when it lists variants' ETags (variants.go)
	sh                   uint64
	sie                  int64
	cond, background     bool
	clientINM, clientIMS []byte
}

func (c *Cache) newFill(fl *flight, fh uint64, p *Policy, rs *ruleState, key []byte, h, gen, epoch uint64, fwd Fwd, head bool) *Fill {
	return &Fill{
		c: c, fl: fl, fh: fh, rs: rs, key: append([]byte(nil), key...), h: h,
		gen: gen, epoch: epoch, ttl: int64(p.ExpireS * float64(time.Second)),
		reqAt: c.nowNs(), fwd: fwd, head: head, pol: p,
	}
}

// miss collapses concurrent misses on fh and consults Redis.
func (c *Cache) miss(ctx *fasthttp.RequestCtx, p *Policy, rs *ruleState, key []byte, h, fh, gen, epoch uint64, now int64, fwd Fwd, head bool) (Result, *Fill) {
	c.mu.Lock()
	fl := c.flights[fh]
	if fl != nil && time.Since(fl.started) > c.lockTimeout {
		fl = nil // its leader is stuck or gone: replace it
	}
	if fl != nil {
		c.mu.Unlock()
		return c.follow(ctx, fl, p, rs, key, h, gen, epoch, fwd, head)
	}
	if head {
		// A HEAD response cannot fill a GET entry, so a HEAD never leads.
		c.mu.Unlock()
		e, se := c.l2Lookup(&ctx.Request, rs, key, h, now, gen, epoch)
		if e != nil {
			c.stats.hits.Add(1)
			c.serve(ctx, e, now, "redis")
			return Hit, nil
		}
		c.stats.misses.Add(1)
		f := c.newFill(nil, 0, p, rs, key, h, gen, epoch, fwd, head)
		c.attachStale(&ctx.Request, f, se, h, now)
		c.attachVariants(&ctx.Request, f, h)
		return Miss, f
	}
	fl = &flight{done: make(chan struct{}), started: time.Now()}
	c.flights[fh] = fl
	c.mu.Unlock()
	e, se := c.l2Lookup(&ctx.Request, rs, key, h, now, gen, epoch)
	if e != nil {
		c.release(fh, fl, e)
		c.stats.hits.Add(1)
		c.serve(ctx, e, now, "redis")
		return Hit, nil
	}
	c.stats.misses.Add(1)
	f := c.newFill(fl, fh, p, rs, key, h, gen, epoch, fwd, head)
	c.attachStale(&ctx.Request, f, se, h, now)
	c.attachVariants(&ctx.Request, f, h)
	return Miss, f
}

// follow waits for fl's leader and serves its entry if it fits the request;
// otherwise the caller fetches with a Fill of its own.
func (c *Cache) follow(ctx *fasthttp.RequestCtx, fl *flight, p *Policy, rs *ruleState, key []byte, h, gen, epoch uint64, fwd Fwd, head bool) (Result, *Fill) {
	c.stats.waiting.Add(1)
	t := time.NewTimer(c.lockTimeout)
	var e *entry
	select {
	case <-fl.done:
		e = fl.entry
	case <-t.C:
	}
	t.Stop()
	c.stats.waiting.Add(-1)
	now := c.nowNs()
	if e != nil && e.kind == kindResponse && e.rs == rs && string(e.key) == string(key) &&
		varyMatches(e, &ctx.Request) && e.fresh(now) {
		c.stats.hits.Add(1)
		c.stats.collapsed.Add(1)
		c.serve(ctx, e, now, "")
		// RFC 9211 §2.7: the request went forward collapsed with another
		// and reused its response.
		setCacheStatus(ctx, fwd, e.status, "collapsed", e.storedAt+e.ttl-now, "")
		return Hit, nil
	}
	c.stats.misses.Add(1)
	f := c.newFill(nil, 0, p, rs, key, h, gen, epoch, fwd, head)
	f.collapsed = true
	return Miss, f
}

// release ends a flight, handing e (nil: nothing storable) to its waiters.
func (c *Cache) release(fh uint64, fl *flight, e *entry) {
	c.mu.Lock()
	if c.flights[fh] == fl {
		delete(c.flights, fh)
	}
	c.mu.Unlock()
	fl.entry = e
	close(fl.done)
}

// Done stores the backend response in ctx.Response if it is storable, marks
// it with X-Cache: MISS and a Cache-Status saying why it was (`stored`) or
// was not (`detail=<reason>`) stored, and releases requests waiting for it.
// The response is otherwise left as the backend sent it, less the
// targeted fields addressed to this cache (RFC 9213). It returns what the
// Cache-Status says as a value; the zero MissResult on a nil or finished Fill.
func (f *Fill) Done(ctx *fasthttp.RequestCtx) MissResult {
	if f == nil || f.done {
		return MissResult{}
	}
	f.done = true
	c := f.c
	now := c.nowNs()
	fwdStatus := ctx.Response.StatusCode() // before a 304 becomes the stored response
	rv := RevalNone
	if f.stale != nil {
		rv = f.settle(ctx, now)
		c.stats.reval[rv].Add(1)
		if rv == RevalStaleError {
			status := ctx.Response.StatusCode()
			ctx.Response.Reset()
			c.serveStale(ctx, f.stale, now, "stale-if-error", status)
			if f.fl != nil {
				c.release(f.fh, f.fl, nil)
			}
			return MissResult{Fwd: f.fwd, Reason: ReasonStatus, Reval: rv}
		}
	}
	e, reason := c.store(ctx, f, now)
	c.targeting.strip(&ctx.Response) // also when not stored
	if reason == stored {
		c.stats.stores.Add(1)
		c.noteServed(ctx, e) // the body the response carries: its derived bodies (derived.go)
	} else {
		c.stats.notStored[reason].Add(1)
	}
	ctx.Response.Header.SetCanonical(hdrXCache, valMiss)
	flags := ""
	if f.collapsed {
		flags = "collapsed=?0"
	}
	if rv == RevalNotModified {
		resp := &ctx.Response
		if e != nil && notModified(&ctx.Request, e) {
			resp.Reset() // the client's own validator matches the refreshed entry
			writeNotModified(resp, e)
		}
		resp.Header.SetCanonical(hdrXCache, valRevalidated)
		if ctx.Request.Header.IsHead() {
			resp.SkipBody = true
		}
	}
	if reason == stored {
		setCacheStatus(ctx, f.fwd, fwdStatus, flags+"; stored", e.storedAt+e.ttl-now, "")
	} else {
		setCacheStatus(ctx, f.fwd, fwdStatus, flags, -1, reason.String())
	}
	if f.fl != nil {
		c.release(f.fh, f.fl, e)
	}
	return MissResult{Fwd: f.fwd, Reason: reason, Reval: rv}
}

// OverBudget tells f that the response streams because the caller's
// budget for bodies held whole was spent: Done then reports
// ReasonMemoryBudget where it would report ReasonStreamed.
func (f *Fill) OverBudget() {
	if f != nil {
		f.overBudget = true
	}
}

// setCacheStatus writes a forwarded request's Cache-Status (RFC 9211):
// `premier; fwd=<fwd>; fwd-status=<status>`, then flags (each with its own
// "; " separator, or none), the ttl in whole seconds when ttl ≥ 0 (ns), and
// the detail when not empty.
func setCacheStatus(ctx *fasthttp.RequestCtx, fwd Fwd, status int, flags string, ttl int64, detail string) {
	var st [128]byte
	b := append(st[:0], cacheName+"; fwd="...)
	b = append(b, fwd.String()...)
	b = append(b, "; fwd-status="...)
	b = strconv.AppendInt(b, int64(status), 10)
	if flags != "" {
		if flags[0] != ';' {
			b = append(b, "; "...)
		}
		b = append(b, flags...)
	}
	if ttl >= 0 {
		b = append(b, "; ttl="...)
		b = strconv.AppendInt(b, ttl/int64(time.Second), 10)
	}
	if detail != "" {
		b = append(b, "; detail="...)
		b = append(b, detail...)
	}
	ctx.Response.Header.SetCanonical(hdrCacheStatus, b)
}

// Abort ends a Fill whose request got no backend response (an error, a
// timeout, a truncated body). Requests waiting for it fetch themselves.
func (f *Fill) Abort() {
	if f == nil || f.done {
		return
	}
	f.done = true
	if f.fl != nil {
		f.c.release(f.fh, f.fl, nil)
	}
}
