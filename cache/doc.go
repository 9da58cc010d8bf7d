// Package cache is Premier's response cache: HTTP caching semantics, an
// in-memory tier (ristretto v2, bounded in bytes), an optional Redis tier
// shared by gateway instances, request collapsing, purges, and Memoize for
// caching any Go function. It owns what is cacheable and how entries are
// keyed, stored and served; it knows nothing of routes or YAML paths.
//
// # The gateway's calls
//
//	res, fill := c.Lookup(ctx, policy, key)  // key: AppendDefaultKey or the rule's template
//	switch res {
//	case cache.Hit:    return                // response written, allocation-free from memory
//	case cache.Bypass: forward(ctx)          // not GET/HEAD
//	case cache.Miss:
//		if err := forward(ctx); err != nil { fill.Abort(); ... } else { fill.Done(ctx) }
//	case cache.Refresh:  // served stale; fill (when non-nil) refreshes the key
//		go func() { fill.Prepare(&copy.Request); forward(copy); fill.Done(copy) }()
//	}
//
// # Semantics
//
//   - Only GET and HEAD are looked up. A HEAD is answered from the GET entry
//     (headers and Content-Length, no body); a HEAD response is never stored.
//   - Stored statuses: 200, 203, 204, 300, 301, 308, 404, 410. Never stored:
//     responses with Set-Cookie, Cache-Control no-store or private,
//     no-cache without a validator, 206 or Content-Range, Vary: *, streamed
//     bodies (size unknown) and bodies over Config.MaxEntryBytes; requests
//     with Cache-Control: no-store; requests with Authorization unless the
//     response says public, s-maxage or must-revalidate. Each refusal is
//     counted by Reason (Stats.NotStored) and named in the miss's
//     Cache-Status detail.
//   - Targeted fields (RFC 9213): Config.TargetedField (default
//     Premier-Cache-Control), else CDN-Cache-Control (unless
//     Config.IgnoreCDNCacheControl), else Surrogate-Control (with
//     Config.SurrogateControl), when present with a value, replaces
//     Cache-Control and Expires in every rule here and below; those obeyed
//     are removed from the responses the cache handles (GET and HEAD).
//   - Freshness (RFC 9111 §4.2, freshFor): Policy.ExpireS when set (the
//     operator's override); otherwise s-maxage, else max-age, else Expires
//     less Date (an invalid Expires is already stale), else the heuristic
//     when there is a Last-Modified (10% of its age, at most a day). A
//     response with none of these is never stored (detail=no-freshness).
//     The entry's age starts at §4.2.3's corrected initial age (Date, the
//     backend's Age and the request's round trip) and every hit sends it
//     in Age; the backend's Date is stored with the entry (the Date a hit
//     carries is the server's: fasthttp writes its own on every response).
//   - A client's Cache-Control: no-cache or max-age=0 (or Pragma:
//     no-cache) is ignored unless Policy.HonorClientNoCache is set; then the
//     request skips the lookup and its response replaces the entry.
//   - Validation and stale content (revalidate.go): an entry past its
//     freshness (or stored with no-cache, or max-age=0 and a validator) is
//     kept, bounded by staleKeepValidated and its stale-* windows. A
//     request for it is forwarded conditional on its ETags and
//     Last-Modified, and on the ETags of the URI's other variants
//     (variants.go); a 304 that names none of them is not used (the caller
//     sends the request again, Fill.Unselected). Done turns a 304 into the
//     entry it names with the 304's header fields and stores it again, and a 5xx within stale-if-error (the
//     response's, or Policy.StaleIfError) into the stale entry. Within
//     stale-while-revalidate Lookup serves it and returns Refresh, with a
//     Fill for one background refresh per key. must-revalidate,
//     proxy-revalidate and no-cache forbid serving stale. Outcomes are
//     MissResult.Reval and Stats.Revalidations.
//   - Stored headers exclude hop-by-hop ones (and those named by
//     Connection), Set-Cookie, Content-Length, Age, X-Cache and
//     Cache-Status. Hits carry Age, X-Cache: HIT and
//     `Cache-Status: premier; hit; ttl=N` (detail=redis when they came
//     from Redis); misses carry X-Cache: MISS and `Cache-Status: premier;
//     fwd=uri-miss|vary-miss|stale|request; fwd-status=<status>; stored;
//     ttl=N` or `; detail=<reason>` (RFC 9211). A request answered from a
//     concurrent fill says `fwd=…; fwd-status=…; collapsed; ttl=N` (with
//     X-Cache: HIT), one that waited but could not use it `collapsed=?0`.
//     Fill.Done returns the miss as a MissResult (Fwd, Reason), so callers
//     never parse the header back.
//   - Conditional requests (conditional.go): a hit on a stored 2xx answers
//     the client's If-None-Match (weak comparison) or, without it,
//     If-Modified-Since (against the stored Last-Modified) with a 304
//     carrying the RFC 9110 §15.4.5 fields, allocation-free. Requests with
//     If-Match or If-Unmodified-Since are a Bypass: the origin decides.
//     A GET with one byte Range (and a matching If-Range, if any) on a hit
//     on a stored 200 gets a 206 cut from the entry, or a 416 (ranges.go);
//     several ranges get the whole 200; on a miss Range goes to the origin
//     and its 206 is not stored.
//   - Invalidation (invalidate.go, RFC 9111 §4.4): UnsafeMethod,
//     Invalidates and SameOriginTarget tell the gateway which URIs a
//     non-error answer to an unsafe request invalidates; it keys each one
//     as a GET and calls PurgeKey.
//   - Keys: the caller's key bytes, namespaced by Policy.Rule (and, in
//     Redis, by RedisOptions.Keyspace). Vary: a response naming request
//     headers is stored as a marker under the key plus a variant under the
//     key extended by the request's values of those headers (at most 8).
//     The names are a set: canonical case, sorted, each once, so another
//     spelling of the same Vary keeps the variants stored before it.
//   - Collapsing: concurrent misses for one key make one backend request.
//     The first caller gets the Fill; the others wait (up to the lock
//     timeout, default 5s) and are served its response, or fetch themselves
//     if it was not storable, failed, or does not match their Vary values.
//     Waiters take the response from the fill itself, never from the memory
//     tier, so a Set that ristretto drops or rejects costs only a later miss.
//
// # Tiers
//
// Memory (L1) holds immutable entries: one serialised blob per entry,
// served by copying header bytes and pointing the response body at the blob
// (no body copy). Its cost is the entry's bytes, bounded by Config.MaxBytes;
// keys are seeded 64-bit hashes and every hit compares the full rule and key,
// so a collision is a miss. Redis (L2, WithRedis) holds the same blobs under
// keyspace NUL rule NUL key, written by one background goroutine with a TTL,
// read with one GET on a memory miss; every Redis failure is a miss within
// RedisOptions.Timeout.
//
// # Purges
//
// PurgeKey deletes one key. PurgeRule and PurgeAll bump a generation (per
// rule, per cache) that every entry records, so they are O(1) in memory;
// purged entries are reclaimed by eviction. With Redis, purges also delete
// the keys in Redis and are published on a channel every instance
// subscribes to.
package cache
