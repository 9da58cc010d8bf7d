package proxy

import (
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/cache"
	"github.com/premier-gateway/premier/proxy/route"
)

// refreshes owns the cache's background refreshes (stale-while-revalidate):
// the cache allows one per key, so there are at most as many as stale keys
// being served. Close stops new ones and waits for the running ones, each
// bounded by the rule's timeout and the attempt loop's deadlines.
type refreshes struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// start reserves a place for one refresh; false once the gateway closes.
func (r *refreshes) start() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.wg.Add(1)
	return true
}

// close refuses new refreshes and waits for the running ones.
func (r *refreshes) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wg.Wait()
}

// refresh forwards a copy of the request in the background, through the
// rule's normal attempt path (retries, breakers, timeouts), and hands the
// answer to fill: a 304 refreshes the stale entry, a new response replaces
// it. The client already has the stale response. This runs once per stale
// key, not per request, so its copy and goroutine are off the hit path.
func (p *plan) refresh(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, fill *cache.Fill) {
	if fill == nil { // another request's refresh of this key is running
		return
	}
	if !g.refreshes.start() {
		fill.Abort()
		return
	}
	rc := new(fasthttp.RequestCtx)
	rc.Init(&ctx.Request, ctx.RemoteAddr(), nil)
	fill.Prepare(&rc.Request)
	bs := getScratch() // its client address is found again, from this request's peer
	bs.path = append(bs.path, s.path...)
	bs.uri = append(bs.uri[:0], s.uri...)
	bs.caps = s.caps
	// The refresh carries this request's consumer (its X-Consumer and
	// {consumer}) and nothing else of anyone's: getScratch forgot the
	// previous identity, and the template values are cleared here.
	bs.auth.Identity.Consumer = s.auth.Identity.Consumer
	bs.vars = route.Vars{}
	go func() {
		defer g.refreshes.wg.Done()
		defer scratchPool.Put(bs)
		defer fill.Abort() // a panic must not leave the key locked; no-op after Done
		defer g.recoverRefresh()
		p.fetchRevalidating(g, t, rc, bs, time.Now(), fill)
		if bs.whole.Refused {
			fill.OverBudget() // streamed: the body budget was spent
		}
		res := fill.Done(rc)
		g.metrics.Revalidated(p.name, res.Reval)
		g.settleBodies(rc, bs) // the body budget's reservations, as the handler gives them back
		rc.Response.Reset()    // nobody reads it: closes a streamed or held body
	}()
}

// recoverRefresh logs a panic in a background refresh; the process lives on.
func (g *Gateway) recoverRefresh() {
	if r := recover(); r != nil {
		g.log.Error("panic in a cache refresh", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
	}
}
