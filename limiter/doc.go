// Package limiter owns rate limiting: the four algorithms, the in-process
// sharded store, the Redis store for limits shared by several gateway
// instances, the registry that keeps counters across config reloads, and
// the values of the Retry-After, RateLimit-Policy and RateLimit headers.
// It knows nothing of HTTP routes or YAML paths: the gateway builds the key
// (client IP, headers, captures...) and passes its bytes.
//
// # Use
//
//	lim, err := limiter.New(limiter.Config{Quota: 100, Duration: 60, Algorithm: limiter.SlidingWindow})
//	d := lim.Allow(key)           // one decision, counted if admitted
//	err = lim.Wait(ctx, key)      // library mode: waits a leaky bucket's turn
//
// Counters are per limiter and per key: two limiters never share a counter
// (in Redis, keys carry the limiter's name, see WithName). A key is kept as
// 24 bytes whatever its length — itself when it has at most 23 bytes (an
// IPv4 address, an IPv6 /64 written short), else the first 192 bits of its
// SHA-256 (in Redis: their hex) — so a flood of long distinct keys costs
// what a flood of addresses does, and instances sharing a Redis name a key
// alike (see fixedKey).
//
// # Algorithms (Q = quota, D = duration, B = bucket_size, default Q; T = D/Q)
//
// fixed_window: at most Q per window [k·D, (k+1)·D), windows aligned to the
// Unix epoch. Q=3, D=10s: at 0 s three pass and the fourth is rejected
// (RetryAfter 10 s); at 9.999 s still rejected (RetryAfter 1 ms); at 10 s a
// new window. Weakness: Q at 9.999 s plus Q at 10 s is 2Q within 1 ms.
//
// sliding_window: the weighted two-window counter (not a log). With prev
// the previous window's count, cur the current one's and el the time into
// the current window, est = prev·(D−el)/D + cur, and a request passes iff
// est + 1 ≤ Q. Q=4, D=10s: four pass at 0 s; the fifth is told RetryAfter
// 12.5 s. At 10 s, where a fixed window resets, prev still weighs 4·1.0:
// rejected. At 12.5 s prev weighs 3: one passes; at 15 s (2) one more.
// Error: exact when the previous window's requests were evenly spread (the
// assumption); in the worst case — the whole previous quota sent in its last
// instant — a span of length s across the edge holds up to Q·(1 + s/D), so
// an adversary approaches 2Q per D only by spreading the second Q over the
// whole next window, never in a burst (a fixed window allows 2Q in an
// instant). Cloudflare measured 0.003 % wrong decisions on real traffic.
// Quota at most 16,777,214.
//
// token_bucket: capacity B, refilled Q per D continuously, kept as GCRA's
// theoretical arrival time in nanoseconds, so fractional refill is never
// truncated (T is rounded to the nanosecond). Q=10/s, B=5: five at once,
// the sixth RetryAfter 100 ms; 250 ms later 2.5 tokens: two pass and the
// half token is kept (next due 50 ms later). Any span t admits at most
// B + t·Q/D.
//
// leaky_bucket: a shaping queue like nginx limit_req with burst=B (no
// nodelay): requests leave one every T; the one being served and up to B
// waiting are admitted, each with Decision.Delay = its turn; the rest are
// rejected at once. Q=10/s, B=3: at 0 s delays 0, 100, 200, 300 ms, the
// fifth rejected (RetryAfter 100 ms). The gateway passes its route timeout
// or the client's deadline to AllowWithin (Wait uses ctx's deadline) so a
// request is never queued past it; a queued request whose client leaves
// keeps its slot.
//
// # Store, memory and eviction
//
// The local store hashes the key (hash/maphash) to one of N shards (a power
// of two, 16–256 by GOMAXPROCS, cache-line padded); each shard is an
// open-addressing table read without locks. A key's state is one 64-bit
// word updated by compare-and-swap (the token and leaky buckets: by one
// atomic add while the key is busy, the word then on a cache line of its
// own so that a key every core hammers costs one line transfer per
// decision); a rejection only reads, except rarely on a busy key's add path.
// Only inserting a new key or evicting takes the shard's mutex. Allow on a
// tracked key does not allocate; a new key costs one allocation (its entry,
// which holds the key's 24-byte fixed form: the key itself is never kept;
// two for the token and leaky buckets, with the word).
//
// Eviction is amortised on insert, with no goroutine: each insert looks at
// two more slots of its shard and drops entries that are idle — state
// identical to a fresh key's (window over, bucket full) — so dropping them
// changes no decision. Tables are rebuilt without idle entries as they grow.
//
// At the cap (WithMaxKeys, default 1<<20 keys per limiter, ≈100 B per key
// whatever its length, ≈170 B for the token and leaky buckets,
// split evenly over the shards): when a new key's shard is full of active
// keys, the shard is swept for idle entries; if there are none, the key is
// counted in the limiter's single overflow bucket, shared by every key that
// could not be tracked, until entries go idle (the sweep is not repeated
// before the earliest of them can). Tracked keys keep their counters, so a
// flood of new keys (10 million spoofed sources) can neither grow memory nor
// reset an active client's limit; the flood and any genuinely new client
// share one quota meanwhile (Stats().Overflowed counts these decisions).
//
// # Clocks
//
// Times are int64 nanoseconds from a Clock. SystemClock (default) reads the
// monotonic clock; CoarseClock (one atomic load, 1 ms resolution, one
// goroutine the gateway owns) is the fast choice for a gateway; ManualClock
// makes tests exact.
//
// # Redis
//
// RedisStore keeps the state in Redis (one Lua script call per Redis
// decision; see RedisStore for time, keys, expiry, failure handling and its
// exact denial cache). One round trip per request tops out near 60–100k
// decisions/s per process here, with a p99 of milliseconds under
// concurrency, so the store leases tokens (RedisOptions.LeaseMax, on by
// default) for fixed_window, sliding_window and token_bucket:
//
//   - One atomic script call takes grant ≤ want tokens for a key: fixed
//     window, grant = min(want, Q − count), count += grant; sliding window,
//     the largest grant with est + grant ≤ Q, cur += grant; token bucket
//     (GCRA), grant = min(want, ⌊(now + τ − tat)/T⌋), tat += grant·T. The
//     instance then spends them with one compare-and-swap each: no round
//     trip, lock or allocation. The decision that brings the lease to a
//     quarter of its size starts one asynchronous refill (one in flight per
//     key, owned by the store: Close, or Registry.Close, waits for them). A
//     decision that finds the lease empty while a refill is in flight waits
//     for it (at most the store's Timeout), then falls back per FailOpen if
//     it failed; with no refill in flight it calls Redis itself, once.
//   - want ≈ the key's local rate × LeaseHorizon (50 ms), between 1 and the
//     cap min(LeaseMax, Q/(4·LeaseInstances), 32767) (token bucket: Q there
//     is min(quota, bucket_size)). Defaults: LeaseMax 4096, LeaseInstances
//     4, so the cap is Q/16. A key's first decision and a slow key lease one
//     token at a time (one round trip per request, nothing held). Where the
//     cap is ≤ 1 (Q ≤ 31 by default), for windows under 100 ms or over 24 h,
//     and for leaky_bucket (each request's delay is its own place in the
//     queue) there is no leasing: one exact round trip per request.
//   - Never over quota: a token is counted in Redis before it is spent, and
//     a window's token is spent only in the window it was counted in (its
//     lease expires at the window's end as Redis saw it, measured from
//     before the call, rounded down to ≈1 ms). fixed_window and
//     sliding_window stay exact bounds (≤ Q per window; est + 1 ≤ Q at
//     every admission). token_bucket stays exact too: a lease expires at
//     the TAT Redis had before granting it (at most D later), the moment
//     from which Redis's own refill would start to cover the tokens held,
//     so held tokens never come on top of a refilled bucket; and expired
//     token-bucket tokens are dropped, not handed back (by then the refill
//     has reabsorbed them; crediting them again could spend them twice —
//     TestRedisLeaseTokenBucketHeldTokensExpire). A drained bucket under
//     load keeps its TAT ahead of now, so leases stay useful exactly where
//     the limit binds; a full bucket leases only the current request.
//   - The error is under-admission: tokens leased by an instance and not
//     (yet) spent, at most the cap per key per instance (≤ Q/4 in total for
//     up to LeaseInstances instances). They are spent as the instance's
//     traffic goes on; when the instance stops seeing the key they lapse
//     with the lease: fixed_window at the window's end; sliding_window
//     hands them back on the instance's next call for that key (the
//     previous window's count moves back), else the previous window weighs
//     them until it ages out; token_bucket's lapse as the bucket refills. So
//     when demand goes on until every instance is refused, the instances
//     admit exactly what one exact limiter would (tested with two).
//     Timeline, fixed_window Q = 1000 per 10 s, two instances, cap 62: at
//     0 s A gets a burst of 2 (the first leases 1; the second, coming at
//     once, leases the cap: 61 held) and then no more traffic; B's
//     flood gets the other 937 and is refused; A's 61 stay unused until
//     10 s, when the window ends and they lapse: 939 admitted instead of
//     1000 in that window. Had A's traffic gone on, it would have spent
//     them: 1000.
//   - Decisions from a lease: Remaining is the lease's tokens plus Redis's
//     remaining at the last grant (approximate: other instances' leases
//     count as spent, and it is as old as the last refill); Reset is the
//     reset Redis gave at the last grant, counted down. RetryAfter comes
//     from Redis (a lease never rejects; an empty one asks Redis).
//   - Redis failing: tokens already leased are still spent (they are
//     counted); after them decisions follow FailOpen as without leasing.
//
// Figures (BenchmarkRedisAllowLeased, 2 shared vCPUs, redis-server on the
// same cores, distinct keys): 6–8 M decisions/s at 1, 64 and 256
// goroutines, p99 ≈ 0.1–0.15 µs, 0 allocs/op, 0.0002–0.0005 Redis calls per
// decision; per request (BenchmarkRedisAllow, LeaseMax 1): 20k/s at 1
// goroutine (p99 ≈ 0.2 ms), 80–100k/s at 64–256 (p99 1.7–7 ms).
//
// # Headers
//
// AppendPolicy and Decision.AppendRateLimit produce the draft-ietf-httpapi-
// ratelimit-headers (-08 to -11) values, Decision.RetryAfterSeconds the
// Retry-After value; see headers.go for the form.
package limiter
