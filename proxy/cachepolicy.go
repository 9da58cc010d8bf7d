package proxy

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/cache"
	"github.com/premier-gateway/premier/proxy/metrics"
	"github.com/premier-gateway/premier/proxy/route"
)

// cachePolicy is a rule's compiled cache feature.
type cachePolicy struct {
	policy cache.Policy    // Rule is the rule's pattern
	key    *route.Template // nil: method, host, path and query
	// hostFirst puts the host in front of key: a cache_key without {host}
	// on a rule that is not shared_across_hosts. Without it one Host would
	// fill the entry every other Host is served.
	hostFirst bool
	// queries are the names of key's {query.NAME} placeholders. A request
	// repeating one is forwarded around the cache: the key holds one of
	// the values while the backend may read another.
	queries []string
	// perConsumer: the rule has auth, so the default key ends with the
	// consumer (as {consumer} writes it): an answer to one API key or user
	// is never served to another. A cache_key says for itself.
	perConsumer bool
}

// newCachePolicy compiles a rule's cache feature with its cache_key
// template (nil without one); authed is whether the rule has auth.
func newCachePolicy(p *cache.Policy, key *route.Template, rule string, authed bool) *cachePolicy {
	cp := &cachePolicy{policy: *p, key: key, perConsumer: authed}
	cp.policy.Rule = rule
	cp.hostFirst = key != nil && !p.SharedAcrossHosts && !key.Uses(route.PlaceholderHost)
	if key != nil {
		cp.queries = key.QueryNames()
	}
	return cp
}

// consumerSuffix is what perConsumer puts after the default key.
var consumerSuffix = func() *route.Template {
	t, err := route.CompileTemplate("|{"+route.PlaceholderConsumer+"}", nil)
	if err != nil {
		panic(err)
	}
	return t
}()

// hostPrefix is what hostFirst puts in front of a cache_key: the host,
// encoded as the {host} placeholder writes it, and a separator.
var hostPrefix = func() *route.Template {
	t, err := route.CompileTemplate("{"+route.PlaceholderHost+"}|", nil)
	if err != nil {
		panic(err)
	}
	return t
}()

// serveCached answers from the cache, or fetches and fills it. Concurrent
// misses for one key wait for one fetch (the cache collapses them).
func (p *plan) serveCached(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, start time.Time) string {
	cp := p.cache
	if cp.repeatsQuery(ctx) {
		s.obs.Cache = metrics.CacheBypass
		backend := p.fetch(g, t, ctx, s, start)
		g.cache.Skipped(ctx, cache.DetailRepeatedQuery)
		return backend
	}
	s.ckey = cp.appendKey(s.ckey[:0], t, ctx, ctx.IsTLS(), s.path, &s.caps, &s.vars, &s.client, s.auth.Identity.Consumer, s.auth.Identity.Claims)
	res, fill := g.cache.Lookup(ctx, &cp.policy, s.ckey)
	switch res {
	case cache.Hit:
		s.obs.Cache, s.obs.Source = metrics.CacheHit, metrics.SourceCache
		return ""
	case cache.Bypass:
		s.obs.Cache = metrics.CacheBypass
		if cache.UnsafeMethod(&ctx.Request) {
			return p.fetchInvalidating(g, t, ctx, s, start) // RFC 9111 §4.4
		}
		return p.fetch(g, t, ctx, s, start)
	case cache.Refresh: // served stale; one background request refreshes the key
		s.obs.Cache, s.obs.Source = metrics.CacheHit, metrics.SourceCache
		s.obs.Miss.Reval = cache.RevalStaleServed
		p.refresh(g, t, ctx, s, fill)
		return ""
	}
	s.obs.Cache = metrics.CacheMiss
	defer fill.Abort() // a panic must not leave the key locked; no-op after Done
	backend := p.fetchRevalidating(g, t, ctx, s, start, fill)
	if s.whole.Refused {
		fill.OverBudget() // streamed: the body budget was spent
	}
	s.obs.Miss = fill.Done(ctx) // why it missed and what became of the response, for the dashboard
	return backend
}

// fetchRevalidating fetches for fill. A revalidation whose 304 selects no
// stored response (cache.Fill.Unselected, RFC 9111 §4.3.4) is sent once
// more without the cache's validators, from a copy kept before the first
// went out (the forwarded request is rewritten on its way). Only
// revalidations pay for the copy, never a hit.
func (p *plan) fetchRevalidating(g *Gateway, t *table, ctx *fasthttp.RequestCtx, s *scratch, start time.Time, fill *cache.Fill) string {
	if !fill.Conditional() {
		return p.fetch(g, t, ctx, s, start)
	}
	again := new(fasthttp.Request)
	ctx.Request.CopyTo(again)
	backend := p.fetch(g, t, ctx, s, start)
	if fill.Unselected(again, &ctx.Response) {
		again.CopyTo(&ctx.Request)
		ctx.Response.Reset()
		backend = p.fetch(g, t, ctx, s, start)
	}
	return backend
}

// appendKey appends ctx's cache key under cp to dst: the rule's cache_key
// template (path and caps from the rule's match; vars and client are the
// caller's scratch; {scheme} from https) or the default key, which keeps
// the schemes apart: over TLS (https) it begins with httpsKeyPrefix, so
// an answer fetched over one scheme (a redirect to https, an absolute URL
// to the scheme) is never served over the other. Plain keys are as they
// were before TLS existed. On a rule with auth the default key ends with
// the consumer.
func (cp *cachePolicy) appendKey(dst []byte, t *table, ctx *fasthttp.RequestCtx, https bool, path []byte, caps *route.Captures, vars *route.Vars, client *[]byte, consumer string, claims route.Claims) []byte {
	if cp.key == nil {
		if https {
			dst = append(dst, httpsKeyPrefix...)
		}
		dst = cp.appendDefaultKey(dst, ctx, path)
		if cp.perConsumer {
			*vars = route.Vars{Consumer: consumer}
			dst = consumerSuffix.Append(dst, ctx, vars)
		}
		return dst
	}
	*vars = route.Vars{Path: path, Caps: caps, TLS: https, Consumer: consumer, Claims: claims}
	if cp.key.Uses(route.PlaceholderClientCN) {
		vars.ClientCN = clientCN(ctx)
	}
	if cp.key.Uses("client_ip") {
		*client = route.AppendClientKey((*client)[:0], t.trusted.ClientIP(ctx))
		vars.ClientKey = *client
	}
	if cp.hostFirst {
		dst = hostPrefix.Append(dst, ctx, vars)
	}
	return cp.key.Append(dst, ctx, vars)
}

// appendDefaultKey appends the key of a rule without a cache_key.
func (cp *cachePolicy) appendDefaultKey(dst []byte, ctx *fasthttp.RequestCtx, path []byte) []byte {
	if cp.policy.SharedAcrossHosts {
		return cache.AppendSharedKey(dst, &ctx.Request, path)
	}
	return cache.AppendDefaultKey(dst, &ctx.Request, path)
}

// httpsKeyPrefix begins the default cache key of a request over TLS. No
// plain default key begins so: they begin with a method, a token, which
// holds no ':'.
const httpsKeyPrefix = "https:"

// repeatsQuery reports whether a GET or HEAD repeats a query parameter the
// key names ("?id=1&id=evil" for {query.id}): the key would hold the first
// value while PHP or Rack read the last, so one request could fill the
// entry of another.
func (cp *cachePolicy) repeatsQuery(ctx *fasthttp.RequestCtx) bool {
	if len(cp.queries) == 0 || !ctx.IsGet() && !ctx.IsHead() {
		return false
	}
	q := ctx.URI().QueryString()
	for _, name := range cp.queries {
		if cache.RepeatsParam(q, name) {
			return true
		}
	}
	return false
}
