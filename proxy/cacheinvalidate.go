package proxy

import (
	"log/slog"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/cache"
	"github.com/premier-gateway/premier/proxy/route"
)

// invalidation is the scratch of one unsafe request on a cache rule: a GET
// carrying the request's headers (as the client sent them, before the
// forward rewrote any) for each URI whose entry the answer invalidates,
// routed and keyed as that GET would be. Only unsafe requests take one, so
// the GET path is untouched.
type invalidation struct {
	ctx    fasthttp.RequestCtx
	uri    []byte // the request's own target, as routed
	target []byte // Location / Content-Location as an origin-form target
	path   []byte
	caps   route.Captures
	vars   route.Vars
	client []byte
	key    []byte
	// consumer is the request's: the entries it purges are its own
	// consumer's on a rule whose cache key holds the consumer.
	consumer string
	claims   route.Claims // the request's token claims, for {jwt.CLAIM}
}

var invalidationPool = sync.Pool{New: func() any { return new(invalidation) }}

var (
	hdrLocation        = []byte(fasthttp.HeaderLocation)
	hdrContentLocation = []byte(fasthttp.HeaderContentLocation)
)

// fetchInvalidating forwards an unsafe request (POST, PUT, DELETE, PATCH,
// …) and, when the answer is not an error (2xx, 3xx), invalidates the
// entries of its target URI and of the same-origin Location and
// Content-Location the answer names (RFC 9111 §4.4), in memory, in Redis
// and on the other instances (cache.PurgeKey). The purge runs before the
// answer goes out, so a client reading its own write is not served the old
// entry.
func (p *plan) fetchInvalidating(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, start time.Time) string {
	iv := invalidationPool.Get().(*invalidation)
	defer iv.release()
	ctx.Request.Header.CopyTo(&iv.ctx.Request.Header)
	iv.ctx.Request.Header.SetMethod(fasthttp.MethodGet)
	iv.ctx.Request.Header.SetContentLength(0)
	iv.ctx.SetRemoteAddr(ctx.RemoteAddr())
	iv.uri = append(iv.uri[:0], s.uri...)
	iv.consumer, iv.claims = s.auth.Identity.Consumer, s.auth.Identity.Claims
	host := string(ctx.Request.Header.Host()) // the forward may rewrite the request's Host

	backend := p.fetch(g, t, ctx, s, start)
	resp := &ctx.Response
	if !cache.Invalidates(resp) {
		return backend
	}
	g.invalidate(t, iv, iv.uri)
	for _, name := range [][]byte{hdrLocation, hdrContentLocation} {
		ref := resp.Header.PeekBytes(name)
		if len(ref) == 0 {
			continue
		}
		var ok bool
		if iv.target, ok = cache.SameOriginTarget(iv.target[:0], ref, []byte(host), iv.pathOf(iv.uri)); ok {
			g.invalidate(t, iv, iv.target)
		}
	}
	return backend
}

// release returns iv to the pool without the request's headers (its
// credentials must not linger in a pooled object).
func (iv *invalidation) release() {
	iv.ctx.Request.Reset()
	iv.claims = nil
	invalidationPool.Put(iv)
}

// pathOf is uri without its query.
func (iv *invalidation) pathOf(uri []byte) []byte {
	for i, c := range uri {
		if c == '?' {
			return uri[:i]
		}
	}
	return uri
}

// invalidate purges the entry a GET for uri (origin-form) is stored under:
// it routes uri as the gateway routes a request and keys it with the
// matched rule's cache policy. A URI on a rule without a cache, or one the
// gateway would refuse, has nothing to purge.
func (g *Gateway) invalidate(t *table, iv *invalidation, uri []byte) {
	rawPath, _, ok := splitRequestURI(uri)
	if !ok {
		return
	}
	var err error
	if iv.path, err = route.NormalizePath(iv.path[:0], rawPath); err != nil || route.HasPrefixSegment(iv.path, t.prefix) {
		return
	}
	req := &iv.ctx.Request
	req.SetRequestURIBytes(uri)
	// Routed as the GET would be: its host, headers and query count for
	// the rules' criteria too.
	q := t.fallback
	var mr route.Request
	if i := t.match.MatchRequest(matchRequest(&mr, req, iv.path), &iv.caps); i >= 0 {
		q = t.rules[i]
	}
	if q == nil || q.cache == nil {
		return
	}
	// Both schemes' entries: the key of one differs from the other's only
	// by the scheme, and what changed the resource changed it for both.
	for _, https := range [2]bool{false, true} {
		iv.key = q.cache.appendKey(iv.key[:0], t, &iv.ctx, https, iv.path, &iv.caps, &iv.vars, &iv.client, iv.consumer, iv.claims)
		if err := g.cache.PurgeKey(q.cache.policy.Rule, iv.key); err != nil {
			g.log.Warn("cache invalidation did not reach Redis", slog.String("rule", q.cache.policy.Rule), slog.Any("error", err))
			return
		}
	}
}
